import { type Bar, priceOf, quantityOf } from "../domain/index.ts";
import { Xoshiro128 } from "../feed/simulator/index.ts";

export const BAR_START_US = Date.parse("2024-03-04T00:00:00Z") * 1000;

/**
 * Bars of one instrument whose log returns are normal draws, segment by segment: [bars, mean, deviation] each.
 * Returns the bars and the indices of the bars where a new segment begins (the true change points).
 */
export function regimeBars(
  instrument: string,
  seed: number,
  segments: readonly [number, number, number][],
  o: { barType?: string; barUs?: number } = {},
): { bars: Bar[]; changes: number[] } {
  const rng = new Xoshiro128(seed);
  const barUs = o.barUs ?? 60_000_000;
  const bars: Bar[] = [];
  const changes: number[] = [];
  let close = 100;
  for (const [n, mean, sd] of segments) {
    if (bars.length) changes.push(bars.length);
    for (let i = 0; i < n; i++) {
      const open = close;
      close = open * Math.exp(mean + sd * rng.normal());
      const k = bars.length;
      bars.push({
        instrument,
        barType: o.barType ?? "1m",
        tsOpen: BAR_START_US + k * barUs,
        open: priceOf(Number(open.toFixed(6))),
        high: priceOf(Number(Math.max(open, close).toFixed(6))),
        low: priceOf(Number(Math.min(open, close).toFixed(6))),
        close: priceOf(Number(close.toFixed(6))),
        volume: quantityOf(100),
        vwap: priceOf(Number(close.toFixed(6))),
        trades: 1,
        tsEvent: BAR_START_US + (k + 1) * barUs,
        tsInit: BAR_START_US + (k + 1) * barUs,
      });
    }
  }
  return { bars, changes };
}
