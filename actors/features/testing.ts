/** The factor fixture's bars as platform Bars, for tests of what reads bars (tests only). */
import { readFileSync } from "node:fs";
import { asPrice, asQuantity, type Bar } from "../domain/index.ts";

interface Fixture {
  fromUs: number;
  barUs: number;
  /** open, high, low, close, volume in 1e-8 units */
  bars: [number, number, number, number, number][];
  /** train.py's factors of each bar, in the set's order; null before the window fills */
  expected: (number[] | null)[];
}

export const factorFixture = JSON.parse(
  readFileSync(new URL("../domain/fixtures/bar-factors-v1.json", import.meta.url), "utf8"),
) as Fixture;

export function fixtureBars(instrument: string, barType = "1m"): Bar[] {
  const f = factorFixture;
  return f.bars.map(([open, high, low, close, volume], i) => {
    const tsOpen = f.fromUs + i * f.barUs;
    return {
      instrument,
      barType,
      tsOpen,
      open: asPrice(open),
      high: asPrice(high),
      low: asPrice(low),
      close: asPrice(close),
      volume: asQuantity(volume),
      vwap: asPrice(close),
      trades: 10,
      tsEvent: tsOpen + f.barUs,
      tsInit: tsOpen + f.barUs,
    };
  });
}
