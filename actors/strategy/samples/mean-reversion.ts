/**
 * Mean reversion: the z-score of the price against its rolling mean and standard deviation. Beyond −entryZ it
 * goes long maxPosition, beyond +entryZ short, and within ±exitZ of the mean it goes flat; in between it holds.
 */
import { BollingerBands } from "trading-signals";
import { z } from "zod";
import { type Bar, type Quote, toNumber } from "../../domain/index.ts";
import {
  type StrategyInstrument,
  type Intents,
  noIntents,
  type Strategy,
  type StrategyContext,
  type StrategyDefinition,
} from "../strategy.ts";
import { toLots } from "./grid.ts";

export const meanReversionParameters = z
  .object({
    lookback: z.number().int().min(3).default(20),
    entryZ: z.number().positive().default(2),
    exitZ: z.number().nonnegative().default(0.5),
    /** in whole units of the instrument */
    maxPosition: z.number().positive().default(100),
    /** bar closes, or the quote mid */
    source: z.enum(["bar", "mid"]).default("bar"),
  })
  .refine((p) => p.exitZ < p.entryZ, { path: ["exitZ"], message: "must be less than entryZ" });
export type MeanReversionParameters = z.output<typeof meanReversionParameters>;

/** The standard score, or NaN while the deviation is zero. */
export function zScore(price: number, mean: number, deviation: number): number {
  return deviation > 0 ? (price - mean) / deviation : Number.NaN;
}

class Book {
  bands: BollingerBands;
  /** the position it wants, in whole units; held between the exit and entry bands */
  target = 0;
  lastZ = Number.NaN;
  constructor(lookback: number) {
    // a multiplier of 1 makes upper − middle exactly one standard deviation
    this.bands = new BollingerBands(lookback, 1);
  }
}

class MeanReversion implements Strategy<MeanReversionParameters> {
  private books = new Map<string, Book>();

  constructor(
    params: MeanReversionParameters,
    private readonly instruments: readonly StrategyInstrument[],
  ) {
    this.rebuild(params);
  }

  private rebuild(p: MeanReversionParameters): void {
    this.books = new Map(this.instruments.map((i) => [i.id, new Book(p.lookback)]));
  }

  isReady(): boolean {
    for (const b of this.books.values()) if (!b.bands.isStable) return false;
    return true;
  }

  /** z-score of the latest price (for inspection and tests). */
  z(instrument: string): number {
    return this.books.get(instrument)?.lastZ ?? Number.NaN;
  }

  onBar(bar: Bar, ctx: StrategyContext<MeanReversionParameters>): Intents {
    return ctx.params.source === "bar" ? this.observe(bar.instrument, toNumber(bar.close), ctx) : noIntents;
  }

  onQuote(q: Quote, ctx: StrategyContext<MeanReversionParameters>): Intents {
    return ctx.params.source === "mid" ? this.observe(q.instrument, toNumber(q.bid + q.ask) / 2, ctx) : noIntents;
  }

  private observe(instrument: string, price: number, ctx: StrategyContext<MeanReversionParameters>): Intents {
    const b = this.books.get(instrument);
    if (!b) return noIntents;
    const r = b.bands.add(price);
    if (r === null || !b.bands.isStable) return noIntents;
    const p = ctx.params;
    const z = zScore(price, r.middle, r.upper - r.middle);
    b.lastZ = z;
    if (Number.isNaN(z)) return noIntents;
    if (z <= -p.entryZ) b.target = p.maxPosition;
    else if (z >= p.entryZ) b.target = -p.maxPosition;
    else if (Math.abs(z) <= p.exitZ) b.target = 0;
    return [{ kind: "target", instrument, quantity: toLots(b.target, ctx.instrument(instrument).lotSize) }];
  }

  onParameters(next: MeanReversionParameters, previous: MeanReversionParameters): void {
    if (next.lookback !== previous.lookback) this.rebuild(next);
  }
}

export const meanReversion: StrategyDefinition<MeanReversionParameters> = {
  name: "mean-reversion",
  parameters: meanReversionParameters,
  create: (params, instruments) => new MeanReversion(params, instruments),
};
