/**
 * How much of a parent should be done by when: pure functions from the parameters to a list of slices (when,
 * how much), and the per-evaluation sizing of POV and iceberg children. Quantities are 1e-8 units, whole lots.
 */

/** One slice of a schedule: at `atUs`, `quantity` more should be sent. */
export interface Slice {
  atUs: number;
  quantity: number;
}

/**
 * Splits `total` (a multiple of `lot`) into whole lots in proportion to `weights`, by largest remainder, so the
 * parts sum to `total` exactly and a zero weight gets nothing.
 */
export function splitLots(total: number, lot: number, weights: readonly number[]): number[] {
  if (!(lot > 0) || total % lot !== 0) throw new RangeError(`quantity ${total} must be a whole number of lots of ${lot}`);
  const sum = weights.reduce((s, w) => s + w, 0);
  if (!(sum > 0)) throw new RangeError("weights: at least one must be positive");
  const lots = total / lot;
  const exact = weights.map((w) => (lots * w) / sum);
  const parts = exact.map(Math.floor);
  let left = lots - parts.reduce((s, p) => s + p, 0);
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left <= 0) break;
    parts[i] = (parts[i] ?? 0) + 1;
    left -= 1;
  }
  return parts.map((p) => p * lot);
}

/** The times of `slices` equal-time slices from start to end: the first at the start, none at the end. */
export function sliceTimes(startUs: number, endUs: number, slices: number): number[] {
  if (!(endUs > startUs)) throw new RangeError(`endAtUs ${endUs} must be after the start ${startUs}`);
  const step = (endUs - startUs) / slices;
  return Array.from({ length: slices }, (_, i) => Math.round(startUs + i * step));
}

/** TWAP: equal slices over the horizon (lots that do not divide evenly go to the earliest slices). */
export function twapSchedule(quantity: number, lot: number, startUs: number, endUs: number, slices: number): Slice[] {
  return weightedSchedule(quantity, lot, startUs, endUs, new Array<number>(slices).fill(1));
}

/** Slices of the horizon sized by weights (a VWAP volume profile, an optimal trajectory's trades). */
export function weightedSchedule(quantity: number, lot: number, startUs: number, endUs: number, weights: readonly number[]): Slice[] {
  const times = sliceTimes(startUs, endUs, weights.length);
  const parts = splitLots(quantity, lot, weights);
  return times.map((atUs, i) => ({ atUs, quantity: parts[i] ?? 0 }));
}

/** A recorded trade, as the volume profile needs it. */
export interface RecordedTrade {
  tsUs: number;
  size: number;
}

const DAY_US = 86_400_000_000;

/**
 * An intraday volume profile from recorded trades: the share of each day's volume traded in each of `buckets`
 * equal parts of the window [fromUs, toUs) of the day (times of day in µs since midnight UTC), averaged over the
 * days in the history. A window with no volume at all is flat: with no history, VWAP is TWAP.
 */
export function volumeProfile(trades: Iterable<RecordedTrade>, fromUs: number, toUs: number, buckets: number): number[] {
  if (!(toUs > fromUs) || fromUs < 0 || toUs > DAY_US)
    throw new RangeError(`window ${fromUs}..${toUs} must be within one day, from before to`);
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`buckets ${buckets} must be a positive integer`);
  const volume = new Array<number>(buckets).fill(0);
  const width = (toUs - fromUs) / buckets;
  for (const t of trades) {
    const ofDay = ((t.tsUs % DAY_US) + DAY_US) % DAY_US;
    if (ofDay < fromUs || ofDay >= toUs) continue;
    const b = Math.min(buckets - 1, Math.floor((ofDay - fromUs) / width));
    volume[b] = (volume[b] ?? 0) + t.size;
  }
  const total = volume.reduce((s, v) => s + v, 0);
  return total > 0 ? volume.map((v) => v / total) : new Array<number>(buckets).fill(1 / buckets);
}

/** Quantity rounded down to whole lots. */
export const wholeLots = (quantity: number, lot: number): number => Math.max(0, Math.floor(quantity / lot) * lot);

/**
 * The child a scheduled algorithm sends at slice `index`: what the schedule says is due by now, less what is filled
 * and open; capped by a participation share of the volume since the previous child (when a cap is set and the market
 * traded), and nothing below the minimum child unless that is all that is left.
 */
export function scheduledChild(p: {
  schedule: readonly Slice[];
  index: number;
  done: number;
  open: number;
  remaining: number;
  lot: number;
  minChild: number;
  cap?: number;
  volumeSinceLast: number;
}): number {
  let due = 0;
  for (const s of p.schedule.slice(0, p.index + 1)) due += s.quantity;
  if (p.index >= p.schedule.length) due = Number.MAX_SAFE_INTEGER; // past the horizon: catch up on the rest
  let child = Math.min(due - p.done - p.open, p.remaining - p.open);
  if (p.cap !== undefined && p.volumeSinceLast > 0) child = Math.min(child, wholeLots(p.cap * p.volumeSinceLast, p.lot));
  child = wholeLots(child, p.lot);
  return child >= p.minChild || (child > 0 && child === p.remaining - p.open) ? child : 0;
}

/** POV: the child that brings done + open up to `rate` of the volume traded since the start. */
export function povChild(p: {
  rate: number;
  marketVolume: number;
  done: number;
  open: number;
  remaining: number;
  lot: number;
  minChild: number;
}): number {
  const target = Math.min(p.rate * p.marketVolume, p.done + p.remaining);
  const child = wholeLots(Math.min(target - p.done - p.open, p.remaining - p.open), p.lot);
  return child >= p.minChild || (child > 0 && child === p.remaining - p.open) ? child : 0;
}

/** Iceberg: a new visible child only when none is open; the display quantity, or what is left. */
export function icebergChild(p: { display: number; open: number; remaining: number; lot: number }): number {
  if (p.open > 0) return 0;
  return wholeLots(Math.min(p.display, p.remaining), p.lot);
}
