/**
 * Trend follower: long while a fast EMA is above a slow EMA, short while below; the position is sized so that an
 * adverse move of `atrMultiple` ATRs costs about `riskPerTrade`, so doubling volatility halves the size.
 *
 * Regimes (config `regimes`): the size is multiplied by max(regimeFloor, 1 − changeProbability) of the
 * instrument's latest regime estimate, so a trend that may have just ended is held smaller; each estimate resizes
 * the held target at once (the EMAs lag a change point by design, the detector does not). Estimates from a
 * detector's first `window` bars are ignored (every run is that short then).
 */
import { ATR, EMA } from "trading-signals";
import { z } from "zod";
import { type Bar, toNumber, asQuantity } from "../../domain/index.ts";
import type { RegimeEstimated } from "../../regime/index.ts";
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
    /** the least fraction of the size held when a regime change is certain (changeProbability 1) */
    regimeFloor: z.number().min(0).max(1).default(0.25),
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

/** The fraction of its size a strategy holds given the probability that the regime just changed. */
export const regimeScale = (changeProbability: number, floor: number): number => Math.max(floor, 1 - changeProbability);

/** Size in whole units for one instrument: risk budget over the money an ATR move costs, capped. */
export function volatilitySize(atr: number, p: TrendFollowerParameters): number {
  if (!(atr > 0)) return 0;
  return Math.min(p.riskPerTrade / (p.atrMultiple * atr), p.maxPosition);
}

class TrendFollower implements Strategy<TrendFollowerParameters> {
  private signals = new Map<string, Signals>();
  /** per instrument: the latest regime scale (1 until an estimate), and the signed size before it */
  private readonly scale = new Map<string, number>();
  private readonly unscaled = new Map<string, number>();

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
    this.unscaled.set(bar.instrument, direction * volatilitySize(s.atr.getResultOrThrow(), p));
    return this.target(bar.instrument, ctx);
  }

  onRegime(regime: RegimeEstimated, ctx: StrategyContext<TrendFollowerParameters>): Intents {
    // within its first `window` bars a detector's changeProbability is 1 by construction: not a change
    if (!this.signals.has(regime.instrument) || regime.observations <= regime.window) return noIntents;
    this.scale.set(regime.instrument, regimeScale(regime.changeProbability, ctx.params.regimeFloor));
    return this.unscaled.has(regime.instrument) ? this.target(regime.instrument, ctx) : noIntents;
  }

  /** The signed size × the regime scale, in whole lots towards zero. */
  private target(instrument: string, ctx: StrategyContext<TrendFollowerParameters>): Intents {
    const signed = (this.unscaled.get(instrument) ?? 0) * (this.scale.get(instrument) ?? 1);
    const size = toLots(Math.abs(signed), ctx.instrument(instrument).lotSize);
    return [{ kind: "target", instrument, quantity: asQuantity(size === 0 ? 0 : Math.sign(signed) * size) }];
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
