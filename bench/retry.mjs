// Retry success path: calls that succeed on the first try, each library in its own process. The
// overhead per call over a bare call, compared with cockatiel's prebuilt retry policy.
import { isolated } from './harness.mjs';

const N = Number(process.env.BENCH_CALLS ?? 200_000);
const op = () => Promise.resolve(1);
const loop = (call) => async (units) => {
  for (let i = 0; i < units; i++) await call();
};

await isolated({
  name: `Retry success path (${N.toLocaleString('en')} calls)`,
  file: import.meta.url,
  subjects: {
    'bare call': async () => loop(op),
    'bulwark RetryService.execute': async () => {
      const { RetryService } = await import('bulwark');
      const service = new RetryService({ maxAttempts: 3 });
      return loop(() => service.execute(op));
    },
    'bulwark retry(fn, options)': async () => {
      const { retry } = await import('bulwark');
      const options = { maxAttempts: 3, initialDelayMs: 1000 };
      return loop(() => retry(op, options));
    },
    'cockatiel retry policy': async () => {
      const { handleAll, retry, ExponentialBackoff } = await import('cockatiel');
      const policy = retry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff() });
      return loop(() => policy.execute(op));
    },
    'p-retry (options object)': async () => {
      const { default: pRetry } = await import('p-retry');
      return loop(() => pRetry(op, { retries: 2, minTimeout: 1000 }));
    },
    'exponential-backoff': async () => {
      const { backOff } = await import('exponential-backoff');
      return loop(() => backOff(op, { numOfAttempts: 3 }));
    },
  },
  units: (name) => (name.startsWith('p-retry') ? Math.min(N, 20_000) : N),
  baseline: 'cockatiel retry policy',
  subtract: 'bare call',
  unit: 'call',
  notes: { goal: 'bulwark overhead <= 1.0x cockatiel, for retry() and RetryService.execute' },
});
