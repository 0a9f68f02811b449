/**
 * Pictures of a training run: an SVG loss curve written into the run folder (train loss and
 * validation loss against optimizer steps) and a small terminal chart printed at the end.
 */
import { plot } from 'asciichart';

/** A series of (step, loss) points. */
export type Curve = Array<[number, number]>;

const W = 720;
const H = 360;
const PAD = { left: 56, right: 16, top: 24, bottom: 40 };

/** An SVG line chart of train and validation loss (nats per character) against steps. */
export function lossCurveSvg(train: Curve, valid: Curve, title: string): string {
  const all = [...train, ...valid];
  const maxStep = Math.max(1, ...all.map(([s]) => s));
  const losses = all.map(([, l]) => l);
  const lo = Math.min(...losses, Infinity);
  const hi = Math.max(...losses, -Infinity);
  const [yMin, yMax] = Number.isFinite(lo) && hi > lo ? [lo, hi] : [0, Math.max(1, hi)];
  const x = (s: number) => PAD.left + (s / maxStep) * (W - PAD.left - PAD.right);
  const y = (l: number) => PAD.top + (1 - (l - yMin) / (yMax - yMin)) * (H - PAD.top - PAD.bottom);
  const path = (c: Curve) => c.map(([s, l], i) => `${i ? 'L' : 'M'}${x(s).toFixed(1)},${y(l).toFixed(1)}`).join(' ');
  const ticks = Array.from({ length: 5 }, (_, i) => yMin + ((yMax - yMin) * i) / 4);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="16" text-anchor="middle">${esc(title)}</text>
${ticks.map((t) => `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/><text x="${PAD.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t.toFixed(2)}</text>`).join('\n')}
<text x="${W / 2}" y="${H - 8}" text-anchor="middle">optimizer step (max ${maxStep})</text>
<path d="${path(train)}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>
<path d="${path(valid)}" fill="none" stroke="#d62728" stroke-width="2"/>
${valid.map(([s, l]) => `<circle cx="${x(s).toFixed(1)}" cy="${y(l).toFixed(1)}" r="3" fill="#d62728"/>`).join('\n')}
<text x="${W - PAD.right - 4}" y="${PAD.top + 12}" text-anchor="end" fill="#1f77b4">train loss</text>
<text x="${W - PAD.right - 4}" y="${PAD.top + 28}" text-anchor="end" fill="#d62728">validation loss</text>
</svg>
`;
}

/** A terminal chart of the train loss, resampled to at most `width` points. */
export function terminalChart(train: Curve, width = 70, height = 10): string {
  if (train.length < 2) return '';
  const points = Array.from({ length: Math.min(width, train.length) }, (_, i) => {
    const from = Math.floor((i * train.length) / Math.min(width, train.length));
    const to = Math.max(from + 1, Math.floor(((i + 1) * train.length) / Math.min(width, train.length)));
    const chunk = train.slice(from, to);
    return chunk.reduce((a, [, l]) => a + l, 0) / chunk.length;
  });
  return plot(points, { height, format: (v) => v.toFixed(2).padStart(6) });
}
