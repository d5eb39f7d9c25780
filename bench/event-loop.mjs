// Event-loop blocking by one hostile render: a 20 000-point zig-zag (every edge spans the image, so
// nothing simplifies away) drawn on a 1000×1000 thumbnail. Prints the render time and the longest
// gaps between event-loop turns meanwhile. Run after `npm run build`: node bench/event-loop.mjs
import sharp from 'sharp';
import { renderThumbnail } from '../dist/thumbnails.js';
const img = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#888' } }).png().toBuffer();
const pts = [];
for (let i = 0; i < 20000; i++) pts.push({ x: (i / 20000) * 2000, y: i % 2 ? 0 : 2000 });
await renderThumbnail(img, [{ points: pts.slice(0, 50), type: 'external' }], { width: 1000, height: 1000 });
const gaps = [];
let last = performance.now(), running = true;
(function loop() { const n = performance.now(); gaps.push(n - last); last = n; if (running) setImmediate(loop); })();
const t = performance.now();
await renderThumbnail(img, [{ points: pts, type: 'external' }], { width: 1000, height: 1000 });
running = false;
gaps.sort((a, b) => b - a);
console.log('total', (performance.now() - t).toFixed(0), 'ms; top gaps', gaps.slice(0, 5).map((g) => g.toFixed(1)).join(' '), 'n', gaps.length);
