/**
 * Trend follower: long while a fast EMA is above a slow EMA, short while below; the position is sized so that an
 * adverse move of `atrMultiple` ATRs costs about `riskPerTrade`, so doubling volatility halves the size.
 */
import { ATR, EMA } from "trading-signals";
import { z } from "zod";
import { type Bar, toNumber, asQuantity } from "../../domain/index.ts";
import {
  type StrategyInstrument,
  type Intents,
  noIntents,
  type Strategy,
  type StrategyContext,
  type StrategyDefinition,
} from "../strategy.ts";
import { toLots } from "./grid.ts";

export const trendFollowerParameters = z
  .object({
    fastPeriod: z.number().int().min(2).default(10),
    slowPeriod: z.number().int().min(3).default(30),
    atrPeriod: z.number().int().min(2).default(14),
    /** account currency lost on an adverse move of atrMultiple × ATR */
    riskPerTrade: z.number().positive().default(1000),
    atrMultiple: z.number().positive().default(2),
    /** cap in whole units of the instrument */
    maxPosition: z.number().positive().default(1000),
    allowShort: z.boolean().default(true),
  })
  .refine((p) => p.fastPeriod < p.slowPeriod, { path: ["fastPeriod"], message: "must be less than slowPeriod" });
export type TrendFollowerParameters = z.output<typeof trendFollowerParameters>;

class Signals {
  readonly fast: EMA;
  readonly slow: EMA;
  readonly atr: ATR;
  constructor(p: TrendFollowerParameters) {
    this.fast = new EMA(p.fastPeriod);
    this.slow = new EMA(p.slowPeriod);
    this.atr = new ATR(p.atrPeriod);
  }
  get primed(): boolean {
    return this.slow.isStable && this.fast.isStable && this.atr.isStable;
  }
}

/** Size in whole units for one instrument: risk budget over the money an ATR move costs, capped. */
export function volatilitySize(atr: number, p: TrendFollowerParameters): number {
  if (!(atr > 0)) return 0;
  return Math.min(p.riskPerTrade / (p.atrMultiple * atr), p.maxPosition);
}

class TrendFollower implements Strategy<TrendFollowerParameters> {
  private signals = new Map<string, Signals>();

  constructor(
    params: TrendFollowerParameters,
    private readonly instruments: readonly StrategyInstrument[],
  ) {
    this.rebuild(params);
  }

  private rebuild(p: TrendFollowerParameters): void {
    this.signals = new Map(this.instruments.map((i) => [i.id, new Signals(p)]));
  }

  isReady(): boolean {
    for (const s of this.signals.values()) if (!s.primed) return false;
    return true;
  }

  onBar(bar: Bar, ctx: StrategyContext<TrendFollowerParameters>): Intents {
    const s = this.signals.get(bar.instrument);
    if (!s) return noIntents;
    const close = toNumber(bar.close);
    s.fast.add(close);
    s.slow.add(close);
    s.atr.add({ high: toNumber(bar.high), low: toNumber(bar.low), close });
    if (!s.primed) return noIntents;
    const p = ctx.params;
    const fast = s.fast.getResultOrThrow();
    const slow = s.slow.getResultOrThrow();
    const direction = fast > slow ? 1 : fast < slow && p.allowShort ? -1 : 0;
    const size = toLots(volatilitySize(s.atr.getResultOrThrow(), p), ctx.instrument(bar.instrument).lotSize);
    return [{ kind: "target", instrument: bar.instrument, quantity: asQuantity(direction === 0 || size === 0 ? 0 : direction * size) }];
  }

  onParameters(next: TrendFollowerParameters, previous: TrendFollowerParameters): void {
    if (next.fastPeriod !== previous.fastPeriod || next.slowPeriod !== previous.slowPeriod || next.atrPeriod !== previous.atrPeriod) {
      this.rebuild(next);
    }
  }
}

export const trendFollower: StrategyDefinition<TrendFollowerParameters> = {
  name: "trend-follower",
  parameters: trendFollowerParameters,
  create: (params, instruments) => new TrendFollower(params, instruments),
};
