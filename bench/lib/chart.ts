// Draws the benchmark's chart as a standalone SVG (no browser, no dependency): one row per
// scenario, throughput over time on the left and RSS over time on the right, one line per
// shipper, so the README can show the shippers side by side.

export interface Series {
  readonly name: string;
  readonly color: string;
  /** t: seconds since spawn; mbps: MB/s of input delivered; rssMiB: resident memory. */
  readonly points: ReadonlyArray<{ readonly t: number; readonly mbps: number; readonly rssMiB: number }>;
}

export interface ChartRow {
  readonly title: string;
  readonly series: readonly Series[];
}

const W = 960;
const ROW_H = 290;
const PANEL_W = 430;
const PANEL_H = 200;
const LEFT = 55;
const GAP = 60;
const TOP = 70;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round step giving about `count` ticks up to `max` (1, 2, 2.5 or 5 × 10^k). */
function tickStep(max: number, count = 5): number {
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow;
}

function panel(x0: number, y0: number, label: string, unit: string, series: readonly Series[], value: (p: Series['points'][number]) => number, tMax: number): string {
  const vMax = Math.max(1, ...series.flatMap((s) => s.points.map(value)));
  const vStep = tickStep(vMax);
  const vTop = Math.ceil(vMax / vStep) * vStep;
  const tStep = tickStep(tMax);
  const tTop = Math.ceil(tMax / tStep) * tStep;
  const x = (t: number) => x0 + (t / tTop) * PANEL_W;
  const y = (v: number) => y0 + PANEL_H - (v / vTop) * PANEL_H;
  const out: string[] = [];
  out.push(`<text x="${x0}" y="${y0 - 10}" class="label">${esc(label)} (${esc(unit)})</text>`);
  for (let v = 0; v <= vTop + 1e-9; v += vStep) {
    out.push(`<line x1="${x0}" x2="${x0 + PANEL_W}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    out.push(`<text x="${x0 - 6}" y="${(y(v) + 4).toFixed(1)}" class="tick" text-anchor="end">${+v.toFixed(2)}</text>`);
  }
  for (let t = 0; t <= tTop + 1e-9; t += tStep) {
    out.push(`<text x="${x(t).toFixed(1)}" y="${y0 + PANEL_H + 16}" class="tick" text-anchor="middle">${+t.toFixed(2)}</text>`);
  }
  out.push(`<text x="${x0 + PANEL_W / 2}" y="${y0 + PANEL_H + 32}" class="tick" text-anchor="middle">seconds since start</text>`);
  out.push(`<rect x="${x0}" y="${y0}" width="${PANEL_W}" height="${PANEL_H}" class="frame"/>`);
  for (const s of series) {
    const pts = s.points.map((p) => `${x(p.t).toFixed(1)},${y(value(p)).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`);
  }
  return out.join('\n');
}

/** The SVG text: `title` on top, a legend, then the rows. */
export function chartSvg(title: string, subtitle: string, rows: readonly ChartRow[]): string {
  const names = [...new Map(rows.flatMap((r) => r.series).map((s) => [s.name, s.color])).entries()];
  const h = TOP + rows.length * ROW_H + 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.title{font-size:16px;font-weight:bold}.sub{font-size:11px;fill:#555}.label{font-size:12px;font-weight:bold}.row{font-size:13px;font-weight:bold}.tick{font-size:10px;fill:#444}.grid{stroke:#e4e4e4;stroke-width:1}.frame{fill:none;stroke:#999;stroke-width:1}</style>',
    `<rect width="${W}" height="${h}" fill="#fff"/>`,
    `<text x="${LEFT}" y="22" class="title">${esc(title)}</text>`,
    `<text x="${LEFT}" y="38" class="sub">${esc(subtitle)}</text>`,
  ];
  names.forEach(([name, color], i) => {
    const lx = LEFT + i * 150;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="52" y2="52" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${lx + 28}" y="56" class="tick">${esc(name)}</text>`);
  });
  rows.forEach((row, i) => {
    const y0 = TOP + i * ROW_H + 36;
    const tMax = Math.max(1, ...row.series.flatMap((s) => s.points.map((p) => p.t)));
    out.push(`<text x="${LEFT}" y="${y0 - 26}" class="row">${esc(row.title)}</text>`);
    out.push(panel(LEFT, y0, 'throughput', 'MB/s of log delivered', row.series, (p) => p.mbps, tMax));
    out.push(panel(LEFT + PANEL_W + GAP, y0, 'resident memory', 'MiB', row.series, (p) => p.rssMiB, tMax));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
