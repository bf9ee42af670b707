/**
 * SVG chart of the typing-trace benchmark: keystroke→first-token latency CDF, one line per client.
 */

/** One CDF series: a label and its latencies (ms). */
export interface CdfSeries {
  label: string;
  latenciesMs: number[];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Renders the CDFs (x: latency ms up to the largest p99, y: share of keystrokes). */
export function renderCdfSvg(title: string, series: CdfSeries[]): string {
  const W = 720;
  const H = 420;
  const L = 60;
  const R = 200;
  const T = 40;
  const B = 50;
  const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.99) - 1)] ?? 0;
  const xMax = Math.max(1, ...series.map((s) => p99(s.latenciesMs))) * 1.05;
  const x = (v: number) => L + (Math.min(v, xMax) / xMax) * (W - L - R);
  const y = (p: number) => T + (1 - p) * (H - T - B);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${L}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (xMax * i) / 5;
    parts.push(`<line x1="${x(v)}" y1="${T}" x2="${x(v)}" y2="${H - B}" stroke="#eee"/>`, `<text x="${x(v)}" y="${H - B + 16}" text-anchor="middle">${Math.round(v)}</text>`);
    const p = i / 5;
    parts.push(`<line x1="${L}" y1="${y(p)}" x2="${W - R}" y2="${y(p)}" stroke="#eee"/>`, `<text x="${L - 6}" y="${y(p) + 4}" text-anchor="end">${Math.round(p * 100)}%</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">keystroke → first token (ms)</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] ?? "black";
    const xs = [...s.latenciesMs].sort((a, b) => a - b);
    const pts = xs.map((v, j) => `${x(v).toFixed(1)},${y((j + 1) / xs.length).toFixed(1)}`);
    if (pts.length) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${x(0)},${y(0)} ${pts.join(" ")}"/>`);
    parts.push(`<rect x="${W - R + 12}" y="${T + i * 20}" width="14" height="4" fill="${color}"/>`, `<text x="${W - R + 32}" y="${T + i * 20 + 6}">${esc(s.label)} (n=${xs.length})</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
