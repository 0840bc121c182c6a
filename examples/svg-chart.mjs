// A loss curve as a standalone SVG file (log-scale loss against step), for examples/train.mjs.

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** 1, 2, 5 × 10^k ticks covering [lo, hi], about `count` of them. */
function niceTicks(lo, hi, count) {
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) ticks.push(Math.round(t));
  return ticks;
}

/**
 * @param {ArrayLike<number>} losses loss after each step (step i + 1 at index i), all > 0
 * @param {{ title?: string, width?: number, height?: number }} options
 * @returns {string} the SVG document
 */
export function lossCurveSvg(losses, { title = 'Training loss', width = 720, height = 420 } = {}) {
  const margin = { top: 48, right: 24, bottom: 52, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const steps = losses.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < steps; i++) {
    min = Math.min(min, losses[i]);
    max = Math.max(max, losses[i]);
  }
  // The y range runs between 1-2-5 values just outside the data.
  const nice = [];
  for (let k = Math.floor(Math.log10(min)) - 1; k <= Math.ceil(Math.log10(max)); k++) nice.push(10 ** k, 2 * 10 ** k, 5 * 10 ** k);
  const lo = Math.log10(nice.findLast((v) => v <= min));
  const hi = Math.log10(Math.max(nice.find((v) => v >= max), 10 ** (lo + 0.5)));
  const x = (step) => margin.left + (steps > 1 ? ((step - 1) / (steps - 1)) * plotW : plotW / 2);
  const y = (loss) => margin.top + ((hi - Math.log10(loss)) / (hi - lo)) * plotH;

  // One point per pixel column is all the eye can see.
  const stride = Math.max(1, Math.floor(steps / plotW));
  const points = [];
  for (let i = 0; i < steps; i += stride) points.push(`${x(i + 1).toFixed(1)},${y(losses[i]).toFixed(1)}`);
  points.push(`${x(steps).toFixed(1)},${y(losses[steps - 1]).toFixed(1)}`);

  const grid = [];
  for (const value of nice) {
    const log = Math.log10(value);
    if (log < lo - 1e-9 || log > hi + 1e-9) continue;
    const yy = y(value).toFixed(1);
    const major = Math.abs(log - Math.round(log)) < 1e-9;
    grid.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${yy}" y2="${yy}" class="${major ? 'major' : 'minor'}"/>`);
    grid.push(`<text x="${margin.left - 8}" y="${yy}" class="ylabel">${Number(value.toPrecision(1))}</text>`);
  }
  for (const step of niceTicks(1, steps, 6)) {
    const xx = x(step).toFixed(1);
    grid.push(`<line x1="${xx}" x2="${xx}" y1="${margin.top}" y2="${margin.top + plotH}" class="minor"/>`);
    grid.push(`<text x="${xx}" y="${margin.top + plotH + 20}" class="xlabel">${step}</text>`);
  }

  const final = losses[steps - 1];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<style>
  .major { stroke: #cfd6e0; } .minor { stroke: #eef1f5; }
  .ylabel { font-size: 11px; fill: #5b6675; text-anchor: end; dominant-baseline: middle; }
  .xlabel { font-size: 11px; fill: #5b6675; text-anchor: middle; }
  .axis { font-size: 12px; fill: #2c3440; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${margin.left}" y="28" font-size="15" font-weight="600" fill="#1d2530">${escape(title)}</text>
<text x="${margin.left + plotW}" y="28" font-size="12" fill="#5b6675" text-anchor="end">final loss ${final.toPrecision(4)}</text>
${grid.join('\n')}
<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9aa5b4"/>
<polyline points="${points.join(' ')}" fill="none" stroke="#2563eb" stroke-width="1.75" stroke-linejoin="round"/>
<text x="${margin.left + plotW / 2}" y="${height - 12}" class="axis" text-anchor="middle">step</text>
<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" class="axis" text-anchor="middle">cross-entropy loss (log scale)</text>
</svg>
`;
}
