import { createHash } from "node:crypto";
import { BAR_FACTORS, type Bar, emptyFactorWindow, type FactorWindow, factorRow, nextFactors } from "../../actors/domain/index.ts";
import { type Label, type LabelRule, PendingLabel } from "./labels.ts";

/**
 * A research dataset: one row per instrument and bar once the bar's factors are defined and its label resolved.
 * Rows are sorted by (t0, instrument), so a fold of consecutive rows is a span of time.
 */
export interface DatasetRow {
  instrument: string;
  /** close time of the bar the features are taken at (µs): no feature reads a later bar */
  t0: number;
  /** close time of the last bar the label read (µs) */
  t1: number;
  /** in the order of BAR_FACTORS.features */
  features: number[];
  ret: number;
  label?: -1 | 0 | 1;
  barrier?: string;
  /** alternative data features (alt-features.ts) by name, as of t0 */
  alt?: Record<string, number>;
}

export interface DatasetProgress {
  bars: number;
  rows: number;
  /** close time of the last bar read (µs) */
  atUs: number;
}

interface Waiting {
  row: Omit<DatasetRow, "t1" | "ret">;
  label: PendingLabel;
}

interface InstrumentRows {
  factors: FactorWindow;
  waiting: Waiting[];
  lastClose: number;
}

export class DatasetError extends Error {
  override name = "DatasetError";
}

/**
 * Builds the rows from bars in time order (several instruments interleaved, each instrument's bars in order).
 * A row waits for its label; rows whose label the data ends before are left out (their future is unknown).
 */
export async function buildRows(
  bars: AsyncIterable<Bar>,
  rule: LabelRule,
  onProgress?: (p: DatasetProgress) => void,
): Promise<DatasetRow[]> {
  const byInstrument = new Map<string, InstrumentRows>();
  const rows: DatasetRow[] = [];
  let read = 0;
  let atUs = 0;
  const vol20 = BAR_FACTORS.features.indexOf("vol20");
  for await (const bar of bars) {
    let s = byInstrument.get(bar.instrument);
    if (!s) {
      s = { factors: emptyFactorWindow, waiting: [], lastClose: Number.NEGATIVE_INFINITY };
      byInstrument.set(bar.instrument, s);
    }
    if (bar.tsEvent <= s.lastClose)
      throw new DatasetError(`bars of ${bar.instrument} out of time order: close ${bar.tsEvent} after ${s.lastClose}`);
    s.lastClose = bar.tsEvent;
    // labels first: this bar is the future of the rows already waiting, never of its own row
    s.waiting = s.waiting.filter((w) => {
      const l: Label | undefined = w.label.next(bar.close, bar.tsEvent);
      if (l) rows.push({ ...w.row, ...l });
      return !l;
    });
    const next = nextFactors(s.factors, bar);
    s.factors = next.window;
    const features = next.factors ? factorRow(next.factors) : undefined;
    if (features)
      s.waiting.push({
        row: { instrument: bar.instrument, t0: bar.tsEvent, features },
        label: new PendingLabel(rule, bar.close, features[vol20]!),
      });
    read++;
    atUs = bar.tsEvent;
    if (onProgress && (read & 1023) === 0) onProgress({ bars: read, rows: rows.length, atUs });
  }
  onProgress?.({ bars: read, rows: rows.length, atUs });
  return rows.sort((a, b) => a.t0 - b.t0 || (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0));
}

/** One row as a JSON line: named features, then the label's fields. */
export function rowLine(r: DatasetRow): string {
  const o: Record<string, unknown> = { instrument: r.instrument, t0: r.t0, t1: r.t1 };
  BAR_FACTORS.features.forEach((f, i) => {
    o[f] = r.features[i];
  });
  o.ret = r.ret;
  if (r.label !== undefined) o.label = r.label;
  if (r.barrier !== undefined) o.barrier = r.barrier;
  if (r.alt) Object.assign(o, r.alt);
  return `${JSON.stringify(o)}\n`;
}

/** The inverse of rowLine; a line that is not a row names its line number and field. */
export function parseRowLine(line: string, at: number): DatasetRow {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new DatasetError(`rows line ${at}: not JSON`);
  }
  const num = (f: string): number => {
    const v = o[f];
    if (typeof v !== "number" || !Number.isFinite(v)) throw new DatasetError(`rows line ${at}: ${f} must be a finite number`);
    return v;
  };
  if (typeof o.instrument !== "string") throw new DatasetError(`rows line ${at}: instrument must be a string`);
  const row: DatasetRow = {
    instrument: o.instrument,
    t0: num("t0"),
    t1: num("t1"),
    features: BAR_FACTORS.features.map((f) => num(f)),
    ret: num("ret"),
  };
  if (o.label !== undefined) {
    const l = num("label");
    if (l !== -1 && l !== 0 && l !== 1) throw new DatasetError(`rows line ${at}: label must be -1, 0 or 1`);
    row.label = l;
  }
  if (typeof o.barrier === "string") row.barrier = o.barrier;
  const alt = Object.keys(o).filter((k) => k.startsWith("alt_"));
  if (alt.length) row.alt = Object.fromEntries(alt.map((k) => [k, num(k)]));
  return row;
}

/** sha256 (hex) of the rows as written: what a model's card names as the data it learned from. */
export function rowsHash(lines: Iterable<string>): string {
  const h = createHash("sha256");
  for (const l of lines) h.update(l);
  return h.digest("hex");
}
