/**
 * Pictures of training: an SVG loss curve written into the run folder (train loss and validation
 * loss against optimizer steps), the line chart under it (several runs on one axis: the learning
 * curves of tools/curves.ts) and a small terminal chart printed at the end.
 */
import { plot } from 'asciichart';

/** A series of (step, loss) points. */
export type Curve = Array<[number, number]>;

const W = 720;
const H = 360;
const PAD = { left: 56, right: 16, top: 24, bottom: 40 };

/** One line of a chart: its legend label, colour, and whether its points are marked. */
export interface Series {
  label: string;
  color: string;
  points: Curve;
  /** mark each point with a dot (sparse measurements, such as validations) */
  dots?: boolean;
  width?: number;
}

export interface ChartOptions {
  title: string;
  /** the x axis's caption */
  xLabel: string;
  /** text of a y tick (default: the value with two decimals) */
  yTick?: (y: number) => string;
  /** label the x axis at round values (default: only the caption) */
  xTicks?: boolean;
}

/**
 * An SVG line chart of several series against a common x axis from 0, the y range spanning all
 * points, with the legend at the top right. (Curves of one run: lossCurveSvg; of several runs
 * against CPU time: tools/curves.ts.)
 */
export function seriesSvg(series: readonly Series[], o: ChartOptions): string {
  const all = series.flatMap((c) => c.points);
  const maxX = Math.max(1e-9, ...all.map(([s]) => s));
  const ys = all.map(([, l]) => l);
  const lo = Math.min(...ys, Infinity);
  const hi = Math.max(...ys, -Infinity);
  const [yMin, yMax] = Number.isFinite(lo) && hi > lo ? [lo, hi] : [0, Math.max(1, hi)];
  const x = (s: number) => PAD.left + (s / maxX) * (W - PAD.left - PAD.right);
  const y = (l: number) => PAD.top + (1 - (l - yMin) / (yMax - yMin)) * (H - PAD.top - PAD.bottom);
  const path = (c: Curve) => c.map(([s, l], i) => `${i ? 'L' : 'M'}${x(s).toFixed(1)},${y(l).toFixed(1)}`).join(' ');
  const ticks = Array.from({ length: 5 }, (_, i) => yMin + ((yMax - yMin) * i) / 4);
  const yTick = o.yTick ?? ((v: number) => v.toFixed(2));
  // x ticks at a round step (1, 2 or 5 × 10^k) giving at most 6 of them
  const unit = 10 ** Math.floor(Math.log10(maxX / 5));
  const xStep = [1, 2, 5, 10].map((m) => m * unit).find((d) => maxX / d <= 6)!;
  const xTicks = o.xTicks ? Array.from({ length: Math.floor(maxX / xStep) }, (_, i) => (i + 1) * xStep) : [];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const xBase = H - PAD.bottom;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="16" text-anchor="middle">${esc(o.title)}</text>
${ticks.map((t) => `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/><text x="${PAD.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${esc(yTick(t))}</text>`).join('\n')}
${xTicks.map((t) => `<text x="${x(t).toFixed(1)}" y="${xBase + 14}" text-anchor="middle">${+t.toFixed(2)}</text>`).join('\n')}
<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>
${series.map((c) => `<path d="${path(c.points)}" fill="none" stroke="${c.color}" stroke-width="${c.width ?? 1.5}"/>`).join('\n')}
${series.filter((c) => c.dots).flatMap((c) => c.points.map(([s, l]) => `<circle cx="${x(s).toFixed(1)}" cy="${y(l).toFixed(1)}" r="3" fill="${c.color}"/>`)).join('\n')}
${series.map((c, i) => `<text x="${W - PAD.right - 4}" y="${PAD.top + 12 + 16 * i}" text-anchor="end" fill="${c.color}">${esc(c.label)}</text>`).join('\n')}
</svg>
`;
}

/** An SVG line chart of train and validation loss (nats per character) against steps. */
export function lossCurveSvg(train: Curve, valid: Curve, title: string): string {
  const maxStep = Math.max(1, ...[...train, ...valid].map(([s]) => s));
  return seriesSvg(
    [
      { label: 'train loss', color: '#1f77b4', points: train },
      { label: 'validation loss', color: '#d62728', points: valid, dots: true, width: 2 },
    ],
    { title, xLabel: `optimizer step (max ${maxStep})` },
  );
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
