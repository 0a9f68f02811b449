/**
 * Pictures of a PoemInspection (inspect.ts): an SVG heat map and a standalone HTML page. Pure
 * functions from the inspection to markup; the CLI only writes them to files.
 *
 * Heat map layout: one row per predicted character (top to bottom, as the poem is read), one
 * panel per layer × signal (left to right), one column per unit inside a panel. Gates (0..1) use
 * a sequential scale; signed quantities (lstm cell c, rnn h) a diverging one scaled by their
 * largest |value| in the poem. Colours are quantised to LEVELS steps and each step of a row is
 * one <path>, which keeps a 256-unit, 2-layer lstm map of a quatrain around a megabyte.
 *
 * The page shows the poem as large characters; hovering one (or its heat-map row) shows its
 * probability, rank, top-5 and the per-layer summaries. Markup is well-formed XML (the tests
 * parse it that way); the data sits in a JSON <script> with `<` escaped.
 */
import type { PoemInspection } from './inspect.ts';

const LEVELS = 16;
const ROW = 18; // px per character row
const LABEL = 96; // px for the character / probability labels
const HEADER = 34; // px for the panel titles
const GAP = 8; // px between panels

/** XML text/attribute escaping. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** Colour of level q ∈ [0, LEVELS): sequential (white → deep blue) or diverging (red ← white → blue). */
function colour(q: number, diverging: boolean): string {
  const x = q / (LEVELS - 1);
  const mix = (a: number[], b: number[], u: number) => a.map((v, i) => Math.round(v + (b[i] - v) * u));
  const rgb = diverging
    ? x < 0.5 ? mix([178, 24, 43], [247, 247, 247], x * 2) : mix([247, 247, 247], [33, 102, 172], (x - 0.5) * 2)
    : mix([247, 251, 255], [8, 48, 107], x);
  return '#' + rgb.map((v) => v.toString(16).padStart(2, '0')).join('');
}

interface Panel {
  layer: number;
  signal: string;
  diverging: boolean;
  scale: number; // largest |value| (diverging) or 1 (gates)
}

function panels(ins: PoemInspection): Panel[] {
  const L = ins.chars[0].layers.length;
  const out: Panel[] = [];
  for (let layer = 0; layer < L; layer++) {
    for (const { name, summary } of ins.signals) {
      const diverging = summary !== 'mean';
      let scale = 1;
      if (diverging) {
        scale = 0;
        for (const ch of ins.chars) for (const u of ch.layers[layer].units[name]) scale = Math.max(scale, Math.abs(u));
        scale ||= 1;
      }
      out.push({ layer, signal: name, diverging, scale });
    }
  }
  return out;
}

/** The heat map as a standalone SVG document. */
export function renderSvg(ins: PoemInspection): string {
  const H = ins.hidden;
  const unit = Math.max(1, Math.min(12, Math.floor(256 / H))); // px per unit column
  const ps = panels(ins);
  const panelWidth = H * unit;
  const width = LABEL + ps.length * (panelWidth + GAP);
  const height = HEADER + ins.chars.length * ROW + 4;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<title>${escapeXml(`${ins.cell} gates over ${ins.text}`)}</title>`);
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  ps.forEach((p, i) => {
    const x0 = LABEL + i * (panelWidth + GAP);
    const range = p.diverging ? `±${p.scale.toPrecision(2)}` : '0–1';
    parts.push(`<text x="${x0}" y="14">${escapeXml(`layer ${p.layer} ${p.signal}`)}</text>`);
    parts.push(`<text x="${x0}" y="28" fill="#666" font-size="10">${escapeXml(range)}</text>`);
  });
  ins.chars.forEach((ch, t) => {
    const y = HEADER + t * ROW;
    parts.push(`<g class="row" data-i="${t}">`);
    parts.push(`<text x="4" y="${y + 13}" font-size="14">${escapeXml(ch.ch)}</text>`);
    parts.push(`<text x="${LABEL - 6}" y="${y + 13}" text-anchor="end" fill="#666" font-size="10">${Math.exp(ch.logprob).toFixed(3)}</text>`);
    ps.forEach((p, i) => {
      const x0 = LABEL + i * (panelWidth + GAP);
      const byLevel = new Map<number, string[]>();
      ch.layers[p.layer].units[p.signal].forEach((u, j) => {
        const x = p.diverging ? (u / p.scale + 1) / 2 : u;
        const q = Math.min(LEVELS - 1, Math.max(0, Math.floor(x * LEVELS)));
        let d = byLevel.get(q);
        if (!d) byLevel.set(q, (d = []));
        d.push(`M${x0 + j * unit} ${y}h${unit}v${ROW - 2}h${-unit}z`);
      });
      for (const [q, d] of byLevel) parts.push(`<path fill="${colour(q, p.diverging)}" d="${d.join('')}"/>`);
    });
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** A standalone HTML page: the poem, the numbers of the hovered character, and the heat map. */
export function renderHtml(ins: PoemInspection): string {
  const data = {
    cell: ins.cell,
    signals: ins.signals,
    chars: ins.chars.map((c) => ({ ch: c.ch, logprob: c.logprob, rank: c.rank, top: c.top, layers: c.layers.map((l) => l.summary) })),
  };
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/&/g, '\\u0026');
  const svg = renderSvg(ins).replace(/^<svg /, '<svg id="heat" ');
  const chars = ins.chars
    .map((c, i) => `<span class="ch" data-i="${i}">${escapeXml(c.ch)}</span>`)
    .join('');
  return `<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="zh">
<head>
<meta charset="utf-8"/>
<title>${escapeXml(`shiren inspect — ${ins.text}`)}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
#poem { font-size: 2em; letter-spacing: 0.1em; margin-bottom: 0.5em; }
.ch { cursor: default; padding: 0 0.05em; border-radius: 3px; }
.ch.on { background: #ffe08a; }
#info { min-height: 9em; font-size: 0.95em; }
#info table { border-collapse: collapse; }
#info td, #info th { padding: 1px 8px; text-align: left; }
.row.on text { font-weight: bold; fill: #b00; }
#heatbox { overflow-x: auto; }
</style>
</head>
<body>
<h1>${escapeXml(`${ins.cell} · logprob ${ins.logprob.toFixed(3)}`)}</h1>
<div id="poem">${chars}</div>
<div id="info">Hover a character to see its numbers.</div>
<div id="heatbox">
${svg}</div>
<script type="application/json" id="data">${json}</script>
<script>
//<![CDATA[
(function () {
  var data = JSON.parse(document.getElementById('data').textContent);
  var info = document.getElementById('info');
  function esc(s) { return String(s).replace(/[&<>]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c]; }); }
  function show(i) {
    var c = data.chars[i];
    var rows = c.layers.map(function (l, k) {
      return '<tr><th>layer ' + k + '</th>' + data.signals.map(function (s) {
        return '<td>' + s.name + ' ' + l[s.name].toFixed(3) + '</td>';
      }).join('') + '</tr>';
    }).join('');
    info.innerHTML = '<p><b style="font-size:1.6em">' + esc(c.ch) + '</b> p = ' + Math.exp(c.logprob).toFixed(4) +
      ' · rank ' + c.rank + ' · top-5: ' + c.top.map(function (t) { return esc(t.ch) + ' ' + t.p.toFixed(3); }).join(', ') +
      '</p><table>' + rows + '</table>';
    document.querySelectorAll('.on').forEach(function (e) { e.classList.remove('on'); });
    document.querySelectorAll('[data-i="' + i + '"]').forEach(function (e) { e.classList.add('on'); });
  }
  document.querySelectorAll('[data-i]').forEach(function (e) {
    e.addEventListener('mouseenter', function () { show(+e.getAttribute('data-i')); });
  });
})();
//]]>
</script>
</body>
</html>
`;
}
