// Retry success path: 200 000 calls that succeed on the first try. Overhead per call over a bare call.
import { backOff } from 'exponential-backoff';
import { handleAll, retry as cockatielRetry, ExponentialBackoff } from 'cockatiel';
import pRetry from 'p-retry';
import { RetryService, retry } from 'bulwark';
import { emit, median, now } from './lib.mjs';

const N = Number(process.env.BENCH_CALLS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const op = () => Promise.resolve(1);

const service = new RetryService({ maxAttempts: 3 });
const policy = cockatielRetry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff() });
const options = { maxAttempts: 3, initialDelayMs: 1000 };

const peers = {
  'bare call': () => op(),
  'bulwark RetryService.execute': () => service.execute(op),
  'bulwark retry(fn, options)': () => retry(op, options),
  'p-retry (no options)': () => pRetry(op),
  'p-retry (options object)': () => pRetry(op, { retries: 2, minTimeout: 1000 }),
  'cockatiel retry policy': () => policy.execute(op),
  'exponential-backoff': () => backOff(op, { numOfAttempts: 3 }),
};
const times = Object.fromEntries(Object.keys(peers).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, call] of Object.entries(peers)) {
    const start = now();
    for (let i = 0; i < N; i++) await call();
    times[name].push(((now() - start) * 1e6) / N);
  }
}
const bare = median(times['bare call']);
const overhead = (name) => Math.max(0, median(times[name]) - bare);
const cockatiel = overhead('cockatiel retry policy');
emit(
  `Retry success path (${N.toLocaleString('en')} calls)`,
  Object.keys(peers).map((name) => ({
    name,
    nsPerCall: Math.round(median(times[name])),
    overheadNs: Math.round(overhead(name)),
    overheadRatioVsCockatiel: name === 'bare call' ? null : +(overhead(name) / cockatiel).toFixed(2),
  })),
  { goal: 'bulwark overhead < cockatiel' },
);
