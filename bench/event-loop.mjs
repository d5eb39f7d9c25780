// Event-loop blocking by hostile renders (issue #13: at most 50 ms per call). Each case renders once
// (after a warm-up render) while a setImmediate loop records the gaps between event-loop turns and
// `monitorEventLoopDelay` (10 ms resolution) records the loop's delay. Run after `npm run build`:
//   node bench/event-loop.mjs
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { renderThumbnail } from '../dist/thumbnails.js';

const source = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#888' } }).png().toBuffer();

/** A zig-zag whose every edge spans the image: every scanline crosses all of them, nothing simplifies away. */
function zigzag(n) {
  const points = [];
  for (let i = 0; i < n; i++) points.push({ x: (i / n) * 2000, y: i % 2 ? 0 : 2000 });
  return [{ type: 'external', points }];
}
function grid(count, points) {
  const side = Math.ceil(Math.sqrt(count));
  const cell = 2000 / side;
  const out = [];
  for (let k = 0; k < count; k++) {
    const cx = (k % side) * cell + cell / 2;
    const cy = Math.floor(k / side) * cell + cell / 2;
    const ring = [];
    for (let i = 0; i < points; i++) ring.push({ x: cx + cell * 0.4 * Math.cos((i / points) * 2 * Math.PI), y: cy + cell * 0.4 * Math.sin((i / points) * 2 * Math.PI) });
    out.push({ type: 'external', points: ring });
  }
  return out;
}
function circle(n) {
  const points = [];
  for (let i = 0; i < n; i++) points.push({ x: 1000 + 900 * Math.cos((i / n) * 2 * Math.PI), y: 1000 + 900 * Math.sin((i / n) * 2 * Math.PI) });
  return [{ type: 'external', points }];
}

/** Random points: edges in every direction, crossing each other everywhere (the worst case for ordering). */
function scribble(n) {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const points = [];
  for (let i = 0; i < n; i++) points.push({ x: random() * 2000, y: random() * 2000 });
  return [{ type: 'external', points }];
}

const cases = [
  ['20 000 random points (edges crossing everywhere)', scribble(20_000)],
  ['20 000-point zig-zag', zigzag(20_000)],
  ['100 000-point zig-zag', zigzag(100_000)],
  ['10 000 polygons × 100 points', grid(10_000, 100)],
  ['1 000 000-point circle', circle(1_000_000)],
];
const options = { width: 1000, height: 1000 };
await renderThumbnail(source, grid(20, 50), options);

console.log('| input | render ms | longest gaps between turns (ms) | monitorEventLoopDelay max (ms) |');
console.log('| --- | --- | --- | --- |');
for (const [name, polygons] of cases) {
  const gaps = [];
  let last = performance.now();
  let running = true;
  const spin = () => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const start = performance.now();
  await renderThumbnail(source, polygons, options);
  const took = performance.now() - start;
  histogram.disable();
  running = false;
  gaps.sort((a, b) => b - a);
  console.log(`| ${name} | ${took.toFixed(0)} | ${gaps.slice(0, 3).map((g) => g.toFixed(1)).join(', ')} | ${(histogram.max / 1e6).toFixed(1)} |`);
}
