/**
 * Writes the speculative-decoding chart as a standalone SVG (no chart library): left panel,
 * acceptance by draft position per source; right panel, decode speed relative to plain decoding by
 * K per source.
 */

/** One series of the chart. */
export interface Series {
  name: string;
  points: { x: number | string; y: number }[];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function panel(
  x0: number,
  title: string,
  xLabels: string[],
  yMax: number,
  yLabel: string,
  series: Series[],
  refLine?: number,
): string {
  const w = 420;
  const h = 260;
  const left = x0 + 50;
  const top = 40;
  const pw = w - 70;
  const ph = h - 80;
  const xs = (i: number) => left + (xLabels.length === 1 ? pw / 2 : (i * pw) / (xLabels.length - 1));
  const ys = (v: number) => top + ph - (Math.min(v, yMax) / yMax) * ph;
  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + w / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  );
  parts.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (let g = 0; g <= 4; g++) {
    const v = (yMax * g) / 4;
    parts.push(`<line x1="${left}" x2="${left + pw}" y1="${ys(v)}" y2="${ys(v)}" stroke="#eee"/>`);
    parts.push(
      `<text x="${left - 6}" y="${ys(v) + 4}" text-anchor="end" font-size="10">${v.toFixed(yMax < 3 ? 2 : 1)}</text>`,
    );
  }
  xLabels.forEach((l, i) =>
    parts.push(
      `<text x="${xs(i)}" y="${top + ph + 16}" text-anchor="middle" font-size="10">${esc(l)}</text>`,
    ),
  );
  parts.push(
    `<text x="${left + pw / 2}" y="${top + ph + 34}" text-anchor="middle" font-size="11">${esc(yLabel.split("|")[0]!)}</text>`,
  );
  parts.push(
    `<text x="${x0 + 12}" y="${top + ph / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 ${x0 + 12} ${top + ph / 2})">${esc(yLabel.split("|")[1] ?? "")}</text>`,
  );
  if (refLine !== undefined)
    parts.push(
      `<line x1="${left}" x2="${left + pw}" y1="${ys(refLine)}" y2="${ys(refLine)}" stroke="#000" stroke-dasharray="4 3"/>`,
    );
  series.forEach((s, si) => {
    const c = COLORS[si % COLORS.length]!;
    const pts = s.points
      .map((p) => ({ i: xLabels.indexOf(String(p.x)), y: p.y }))
      .filter((p) => p.i >= 0 && Number.isFinite(p.y));
    if (pts.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${xs(p.i)},${ys(p.y)}`).join(" ")}"/>`,
      );
    for (const p of pts) parts.push(`<circle cx="${xs(p.i)}" cy="${ys(p.y)}" r="3" fill="${c}"/>`);
    parts.push(
      `<rect x="${left + 8}" y="${top + 8 + si * 15}" width="10" height="10" fill="${c}"/><text x="${left + 22}" y="${top + 17 + si * 15}" font-size="10">${esc(s.name)}</text>`,
    );
  });
  return parts.join("\n");
}

/** Renders the two-panel SVG. `caption` goes under the panels (machine, models). */
export function renderSpecDecodeSvg(
  acceptance: Series[],
  speed: Series[],
  speedX: string[],
  caption: string,
): string {
  const maxPos = Math.max(1, ...acceptance.map((s) => s.points.length));
  const posLabels = Array.from({ length: maxPos }, (_, i) => String(i + 1));
  const yMaxSpeed = Math.max(1.5, ...speed.flatMap((s) => s.points.map((p) => p.y))) * 1.1;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="300" viewBox="0 0 860 300" font-family="sans-serif">`,
    `<rect width="860" height="300" fill="white"/>`,
    panel(
      0,
      "Acceptance by draft position",
      posLabels,
      1,
      "draft position|share accepted (accepted / proposed)",
      acceptance,
    ),
    panel(
      430,
      "Decode speed vs plain decoding",
      speedX,
      yMaxSpeed,
      "K (draft length)|speed ratio (plain = 1)",
      speed,
      1,
    ),
    `<text x="430" y="292" text-anchor="middle" font-size="10" fill="#555">${esc(caption)}</text>`,
    `</svg>`,
  ].join("\n");
}
