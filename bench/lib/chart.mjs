// A hand-written SVG bar chart (no dependencies, no network): million elements per second of every
// contestant, grouped by shape, on a log scale.

const COLORS = {
  lucid: '#1f5fbf',
  'lucid-scalar': '#8fb3e8',
  native: '#444444',
  'native-ceiling': '#a6a6a6',
  'js-textbook': '#e07b00',
  'js-torch-order': '#f2b866',
  'tfjs-wasm': '#2e8b3a',
  'tfjs-cpu': '#9fd49f',
};

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toPrecision(2));

/** The SVG text of the chart of `variantId` over `cases` (in that order). */
export function barChart(report, variantId, cases, title) {
  const contestants = report.contestants.filter((c) => report.results.some((r) => r.variant === variantId && r.impl === c.id));
  const groups = cases
    .map((c) => ({ label: c.label, rows: report.results.filter((r) => r.case === c.id && r.variant === variantId) }))
    .filter((g) => g.rows.length > 0);
  const values = groups.flatMap((g) => g.rows.map((r) => r.melemPerSecond));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const bar = 12;
  const gap = 2;
  const groupGap = 16;
  const left = 130;
  const plot = 560;
  const legendRows = Math.ceil(contestants.length / 2);
  const top = 44 + legendRows * 18;
  const groupHeight = contestants.length * (bar + gap) - gap;
  const height = top + groups.length * (groupHeight + groupGap) + 30;
  const width = left + plot + 70;
  const x = (v) => left + (plot * Math.log10(v / lo)) / Math.log10(hi / lo);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="18" font-size="14" font-weight="600">${escape(title)}: million elements per second (log scale)</text>`,
  ];
  contestants.forEach((c, i) => {
    const lx = left + (i % 2) * 300;
    const ly = 32 + Math.floor(i / 2) * 18;
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${COLORS[c.id] ?? '#888'}"/>`);
    out.push(`<text x="${lx + 17}" y="${ly + 10}">${escape(c.label)}</text>`);
  });
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    out.push(`<line x1="${x(v)}" y1="${top - 6}" x2="${x(v)}" y2="${height - 24}" stroke="#dddddd"/>`);
    out.push(`<text x="${x(v)}" y="${height - 10}" text-anchor="middle" fill="#555555">${Math.round(v).toLocaleString('en-US')}</text>`);
  }
  groups.forEach((g, gi) => {
    const gy = top + gi * (groupHeight + groupGap);
    out.push(`<text x="${left - 8}" y="${gy + groupHeight / 2 + 4}" text-anchor="end" font-weight="600">${escape(g.label)}</text>`);
    contestants.forEach((c, ci) => {
      const r = g.rows.find((row) => row.impl === c.id);
      if (!r) return;
      const y = gy + ci * (bar + gap);
      const w = Math.max(1, x(r.melemPerSecond) - left);
      out.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${COLORS[c.id] ?? '#888'}"><title>${escape(`${c.label}: ${fmt(r.melemPerSecond)} Melem/s`)}</title></rect>`);
      out.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + bar - 2}" fill="#333333">${fmt(r.melemPerSecond)}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
