// A loss curve as a standalone SVG file (log-scale loss against step), for examples/train.mjs, with
// the learning rate in a second panel under it (linear scale, same step axis) when one is given, and
// a second run's loss beside it (examples/tfjs/train.mjs: tf.train.adam's) when one is given.

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

/** About `count` round values (1, 2, 5 × 10^k apart) from 0 to at least `max` > 0, the last >= max. */
function linearTicks(max, count) {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const ticks = [];
  for (let k = 0; ticks.length === 0 || ticks.at(-1) < max * (1 - 1e-9); k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/** The lr panel's height (plot area) and the space between it and the loss panel. */
const LR_PLOT_HEIGHT = 120;
const LR_GAP = 30;
const SUBTITLE_HEIGHT = 20;

/**
 * @param {ArrayLike<number>} losses loss after each step (step i + 1 at index i), all > 0
 * @param {{ title?: string, subtitle?: string, width?: number, height?: number, lrs?: ArrayLike<number>,
 *   label?: string, compare?: { label: string, losses: ArrayLike<number> } }} options
 *   subtitle: a smaller line under the title; height: of the loss chart (the subtitle and the lr
 *   panel add to it); lrs: the learning rate each step used
 *   (same length as losses, all >= 0), drawn in a second panel under the loss; compare: another
 *   run's losses (same length, all > 0), drawn grey beside them, with a legend naming both
 *   (`label` names `losses`)
 * @returns {string} the SVG document
 */
export function lossCurveSvg(losses, { title = 'Training loss', subtitle, width = 720, height = 420, lrs, label = 'loss', compare } = {}) {
  const margin = { top: 48, right: 24, bottom: 52, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  if (subtitle !== undefined) margin.top += SUBTITLE_HEIGHT;
  const steps = losses.length;
  if (lrs !== undefined && lrs.length !== steps) throw new RangeError(`lrs must have one value per step (${steps}), got ${lrs.length}`);
  if (compare !== undefined && compare.losses.length !== steps) {
    throw new RangeError(`compare.losses must have one value per step (${steps}), got ${compare.losses.length}`);
  }
  let min = Infinity;
  let max = -Infinity;
  for (const series of compare === undefined ? [losses] : [losses, compare.losses]) {
    for (let i = 0; i < steps; i++) {
      min = Math.min(min, series[i]);
      max = Math.max(max, series[i]);
    }
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
  const polyline = (series) => {
    const points = [];
    for (let i = 0; i < steps; i += stride) points.push(`${x(i + 1).toFixed(1)},${y(series[i]).toFixed(1)}`);
    points.push(`${x(steps).toFixed(1)},${y(series[steps - 1]).toFixed(1)}`);
    return points.join(' ');
  };
  // The other run under ours, grey, and a legend naming both in the plot's top-right corner.
  const compared =
    compare === undefined
      ? ''
      : `<polyline points="${polyline(compare.losses)}" fill="none" stroke="#9aa5b4" stroke-width="1.5" stroke-linejoin="round"/>
<g font-size="12" fill="#2c3440" text-anchor="end">
<line x1="${margin.left + plotW - 36}" x2="${margin.left + plotW - 12}" y1="${margin.top + 18}" y2="${margin.top + 18}" stroke="#2563eb" stroke-width="2"/>
<text x="${margin.left + plotW - 42}" y="${margin.top + 22}">${escape(label)} (final ${losses[steps - 1].toPrecision(4)})</text>
<line x1="${margin.left + plotW - 36}" x2="${margin.left + plotW - 12}" y1="${margin.top + 38}" y2="${margin.top + 38}" stroke="#9aa5b4" stroke-width="2"/>
<text x="${margin.left + plotW - 42}" y="${margin.top + 42}">${escape(compare.label)} (final ${compare.losses[steps - 1].toPrecision(4)})</text>
</g>
`;

  // With an lr panel, the step labels go under it; the loss panel keeps the vertical lines.
  const lrTop = margin.top + plotH + LR_GAP;
  const bottom = lrs === undefined ? margin.top + plotH : lrTop + LR_PLOT_HEIGHT;
  const totalHeight = bottom + margin.bottom;

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
    if (lrs !== undefined) grid.push(`<line x1="${xx}" x2="${xx}" y1="${lrTop}" y2="${bottom}" class="minor"/>`);
    grid.push(`<text x="${xx}" y="${bottom + 20}" class="xlabel">${step}</text>`);
  }

  const final = losses[steps - 1];
  const lrPanel = lrs === undefined ? '' : lrPanelSvg(lrs, { left: margin.left, top: lrTop, plotW, x, stride });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${totalHeight}" viewBox="0 0 ${width} ${totalHeight}" font-family="system-ui, sans-serif">
<style>
  .major { stroke: #cfd6e0; } .minor { stroke: #eef1f5; }
  .ylabel { font-size: 11px; fill: #5b6675; text-anchor: end; dominant-baseline: middle; }
  .xlabel { font-size: 11px; fill: #5b6675; text-anchor: middle; }
  .axis { font-size: 12px; fill: #2c3440; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${margin.left}" y="28" font-size="15" font-weight="600" fill="#1d2530">${escape(title)}</text>
${compare === undefined ? `<text x="${margin.left + plotW}" y="28" font-size="12" fill="#5b6675" text-anchor="end">final loss ${final.toPrecision(4)}</text>
` : ''}${subtitle === undefined ? '' : `<text x="${margin.left}" y="48" font-size="12.5" fill="#5b6675">${escape(subtitle)}</text>\n`}${grid.join('\n')}
<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9aa5b4"/>
${compared}<polyline points="${polyline(losses)}" fill="none" stroke="#2563eb" stroke-width="1.75" stroke-linejoin="round"/>
${lrPanel}<text x="${margin.left + plotW / 2}" y="${totalHeight - 12}" class="axis" text-anchor="middle">step</text>
<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" class="axis" text-anchor="middle">cross-entropy loss (log scale)</text>
</svg>
`;
}

/** The lr panel: a linear axis from 0 to a round value at or above the peak lr, and the lr curve. */
function lrPanelSvg(lrs, { left, top, plotW, x, stride }) {
  const steps = lrs.length;
  let max = 0;
  for (let i = 0; i < steps; i++) max = Math.max(max, lrs[i]);
  const ticks = linearTicks(max > 0 ? max : 1, 4);
  const hi = ticks.at(-1);
  const y = (lr) => top + (1 - lr / hi) * LR_PLOT_HEIGHT;
  const lines = [];
  for (const tick of ticks) {
    const yy = y(tick).toFixed(1);
    lines.push(`<line x1="${left}" x2="${left + plotW}" y1="${yy}" y2="${yy}" class="major"/>`);
    lines.push(`<text x="${left - 8}" y="${yy}" class="ylabel">${tick}</text>`);
  }
  const points = [];
  for (let i = 0; i < steps; i += stride) points.push(`${x(i + 1).toFixed(1)},${y(lrs[i]).toFixed(1)}`);
  points.push(`${x(steps).toFixed(1)},${y(lrs[steps - 1]).toFixed(1)}`);
  return `<g class="lr-panel">
<text x="${left + plotW}" y="${top - 8}" font-size="12" fill="#5b6675" text-anchor="end">peak lr ${Number(max.toPrecision(4))}, last ${Number(lrs[steps - 1].toPrecision(4))}</text>
${lines.join('\n')}
<rect x="${left}" y="${top}" width="${plotW}" height="${LR_PLOT_HEIGHT}" fill="none" stroke="#9aa5b4"/>
<polyline points="${points.join(' ')}" fill="none" stroke="#ea580c" stroke-width="1.75" stroke-linejoin="round"/>
<text transform="translate(16 ${top + LR_PLOT_HEIGHT / 2}) rotate(-90)" class="axis" text-anchor="middle">learning rate</text>
</g>
`;
}
