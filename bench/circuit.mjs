// Circuit breaker success path: calls through a closed breaker, each library in its own process. The
// overhead per call over a bare call, compared with cockatiel's circuitBreaker (consecutive failures)
// and opossum (its per-call `timeout` timer switched off: that is a timeout policy, measured apart).
import { isolated } from './harness.mjs';

const N = Number(process.env.BENCH_CIRCUIT_CALLS ?? 200_000);
const op = () => Promise.resolve(1);
const loop = (call) => async (units) => {
  for (let i = 0; i < units; i++) await call();
};

await isolated({
  name: `Circuit breaker success path (${N.toLocaleString('en')} calls)`,
  file: import.meta.url,
  subjects: {
    'bare call': async () => loop(op),
    'bulwark CircuitBreaker (consecutive)': async () => {
      const { CircuitBreaker } = await import('bulwark');
      const breaker = new CircuitBreaker({ consecutiveFailures: 5, cooldownMs: 10_000 });
      return loop(() => breaker.execute(op));
    },
    'bulwark CircuitBreaker (failure ratio)': async () => {
      const { CircuitBreaker } = await import('bulwark');
      const breaker = new CircuitBreaker({ failureRatio: 0.5, windowMs: 10_000, minimumCalls: 10, cooldownMs: 10_000 });
      return loop(() => breaker.execute(op));
    },
    'cockatiel circuitBreaker (consecutive)': async () => {
      const { circuitBreaker, handleAll, ConsecutiveBreaker } = await import('cockatiel');
      const policy = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
      return loop(() => policy.execute(op));
    },
    'cockatiel circuitBreaker (sampling)': async () => {
      const { circuitBreaker, handleAll, SamplingBreaker } = await import('cockatiel');
      const policy = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000, minimumRps: 1 }) });
      return loop(() => policy.execute(op));
    },
    'opossum (timeout off)': async () => {
      const { default: Opossum } = await import('opossum');
      const breaker = new Opossum(op, { timeout: false, errorThresholdPercentage: 50, resetTimeout: 10_000 });
      return loop(() => breaker.fire());
    },
  },
  units: () => N,
  baseline: 'cockatiel circuitBreaker (consecutive)',
  subtract: 'bare call',
  unit: 'call',
  notes: { goal: 'bulwark overhead <= the fastest peer (issue #15)' },
});
