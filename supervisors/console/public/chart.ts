// A small price chart on a canvas: mid price over time, a grid with price and time labels, the last price marked.
// Written by hand: the console has no build step and the machines it runs on may have no internet.

const GRID = "#1e2530";
const AXIS = "#7d8799";
const LINE = "#4ea1ff";
const FILL = "rgba(78,161,255,0.10)";

/** "Nice" tick step for a span, so labels land on round prices. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

const decimalsOf = (step: number): number => Math.max(0, Math.min(8, -Math.floor(Math.log10(step)) + 1));
const hhmmss = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** Points further apart than this many typical spacings have no data between them: a gap. */
const GAP_SPACINGS = 4;

/**
 * Where the series breaks: the index of each point that starts a new run. A gap is a spacing over GAP_SPACINGS
 * times the median spacing (quotes arrive on a steady pump; a feed that stalls leaves a hole, never a slope).
 */
export function runStarts(points: [number, number][]): number[] {
  const steps = points
    .slice(1)
    .map((p, i) => p[0] - (points[i] as [number, number])[0])
    .sort((a, b) => a - b);
  const median = steps[Math.floor(steps.length / 2)] ?? 0;
  const starts = [0];
  if (median <= 0) return starts;
  for (let i = 1; i < points.length; i++)
    if ((points[i] as [number, number])[0] - (points[i - 1] as [number, number])[0] > GAP_SPACINGS * median) starts.push(i);
  return starts;
}

/**
 * Draws `points` ([timeMs, price][]) into `canvas`, sized to its CSS box at the device pixel ratio; a gap in time is
 * left blank. The canvas's `data-runs` says how many unbroken runs were drawn.
 */
export function drawChart(canvas: HTMLCanvasElement, points: [number, number][], opts: { title?: string } = {}): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (w === 0 || h === 0) return;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext("2d");
  if (!g) return;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  g.font = "10px 'DejaVu Sans Mono', Menlo, monospace";
  g.textBaseline = "middle";
  if (!points || points.length < 2) {
    g.fillStyle = AXIS;
    g.fillText(opts.title ? `${opts.title}: waiting for quotes…` : "select an instrument", 10, h / 2);
    return;
  }
  const padL = 8;
  const padR = 70;
  const padT = 18;
  const padB = 18;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const [, p] of points) {
    if (p < lo) lo = p;
    if (p > hi) hi = p;
  }
  if (hi === lo) {
    const pad = Math.abs(hi) * 1e-4 || 1e-4;
    hi += pad;
    lo -= pad;
  }
  const first = points[0] as [number, number];
  const final = points[points.length - 1] as [number, number];
  const t0 = first[0];
  const t1 = final[0];
  const tspan = Math.max(1, t1 - t0);
  const x = (t: number) => padL + ((t - t0) / tspan) * (w - padL - padR);
  const y = (p: number) => padT + (1 - (p - lo) / (hi - lo)) * (h - padT - padB);

  // horizontal grid and price labels
  const step = niceStep(hi - lo, Math.max(2, Math.floor((h - padT - padB) / 28)));
  const dec = decimalsOf(step);
  g.strokeStyle = GRID;
  g.lineWidth = 1;
  g.fillStyle = AXIS;
  g.textAlign = "left";
  for (let p = Math.ceil(lo / step) * step; p <= hi; p += step) {
    const yy = Math.round(y(p)) + 0.5;
    g.beginPath();
    g.moveTo(padL, yy);
    g.lineTo(w - padR, yy);
    g.stroke();
    g.fillText(p.toFixed(dec), w - padR + 6, yy);
  }
  // time labels
  g.textAlign = "center";
  const labels = Math.max(2, Math.floor((w - padL - padR) / 90));
  for (let i = 0; i <= labels; i++) {
    const t = t0 + (tspan * i) / labels;
    const xx = Math.round(x(t)) + 0.5;
    g.beginPath();
    g.moveTo(xx, padT);
    g.lineTo(xx, h - padB);
    g.stroke();
    g.fillText(hhmmss(t), Math.min(Math.max(xx, 24), w - padR - 24), h - padB / 2);
  }
  // area and line, one run at a time: nothing is drawn across a gap
  const starts = runStarts(points);
  canvas.dataset.runs = String(starts.length);
  g.strokeStyle = LINE;
  g.lineWidth = 1.25;
  g.fillStyle = FILL;
  starts.forEach((from, r) => {
    const run = points.slice(from, starts[r + 1] ?? points.length);
    const [ta, pa] = run[0] as [number, number];
    const tb = (run[run.length - 1] as [number, number])[0];
    g.beginPath();
    g.moveTo(x(ta), y(pa));
    for (const [t, p] of run) g.lineTo(x(t), y(p));
    // a lone point between gaps is a short tick, so it stays visible
    if (run.length === 1) g.lineTo(x(ta) + 2, y(pa));
    g.stroke();
    g.lineTo(x(tb), h - padB);
    g.lineTo(x(ta), h - padB);
    g.closePath();
    g.fill();
  });
  // last price tag
  const last = final[1];
  const yl = Math.round(y(last)) + 0.5;
  g.setLineDash([3, 3]);
  g.strokeStyle = LINE;
  g.beginPath();
  g.moveTo(padL, yl);
  g.lineTo(w - padR, yl);
  g.stroke();
  g.setLineDash([]);
  g.fillStyle = LINE;
  g.fillRect(w - padR + 2, yl - 7, padR - 4, 14);
  g.fillStyle = "#0b0e13";
  g.textAlign = "left";
  g.fillText(last.toFixed(Math.max(dec, 2)), w - padR + 5, yl);
  if (opts.title) {
    g.fillStyle = AXIS;
    g.textAlign = "left";
    g.fillText(opts.title, padL + 4, 9);
  }
}
