/**
 * Model forecast: trades one model's forecast of the next bar's return (ModelForecast, from the model actor fed by
 * the instrument's feature actor) when it is confident. Confidence is the forecast in units of the spread of its own
 * recent forecasts (forecast / their standard deviation over `lookback`): at or beyond +entryConfidence it goes long
 * maxPosition, at or beyond −entryConfidence short, within ±exitConfidence flat, and in between it holds.
 * Scale-free, so the same parameters fit a model whatever the size of its forecasts.
 */
import { standardDeviation } from "simple-statistics";
import { z } from "zod";
import type { ModelForecast } from "../../domain/index.ts";
import {
  type Intents,
  noIntents,
  type Strategy,
  type StrategyContext,
  type StrategyDefinition,
  type StrategyInstrument,
} from "../strategy.ts";
import { toLots } from "./grid.ts";
import { RollingWindow } from "./rolling-window.ts";

export const modelForecastParameters = z
  .object({
    /** the model whose forecasts it trades (the strategy's config must list it in `signals`) */
    model: z.string().min(1).default("gbt-return-5f"),
    /** recent forecasts the confidence is measured against */
    lookback: z.number().int().min(5).max(10_000).default(50),
    entryConfidence: z.number().positive().default(1.5),
    exitConfidence: z.number().nonnegative().default(0.25),
    /** in whole units of the instrument */
    maxPosition: z.number().positive().default(100),
  })
  .refine((p) => p.exitConfidence < p.entryConfidence, { path: ["exitConfidence"], message: "must be less than entryConfidence" });
export type ModelForecastParameters = z.output<typeof modelForecastParameters>;

/** A forecast in units of the spread of the recent ones (the window includes it); NaN while they do not vary. */
export function confidence(forecast: number, recent: readonly number[]): number {
  const spread = recent.length > 1 ? standardDeviation(recent as number[]) : 0;
  return spread > 0 ? forecast / spread : Number.NaN;
}

class Book {
  target = 0;
  lastConfidence = Number.NaN;
  constructor(readonly forecasts: RollingWindow) {}
}

class ModelForecastStrategy implements Strategy<ModelForecastParameters> {
  private books = new Map<string, Book>();

  constructor(
    params: ModelForecastParameters,
    private readonly instruments: readonly StrategyInstrument[],
  ) {
    this.rebuild(params);
  }

  private rebuild(p: ModelForecastParameters): void {
    this.books = new Map(this.instruments.map((i) => [i.id, new Book(new RollingWindow(p.lookback))]));
  }

  isReady(): boolean {
    for (const b of this.books.values()) if (!b.forecasts.full) return false;
    return true;
  }

  /** the latest forecast's confidence (for inspection and tests) */
  confidence(instrument: string): number {
    return this.books.get(instrument)?.lastConfidence ?? Number.NaN;
  }

  onForecast(f: ModelForecast, ctx: StrategyContext<ModelForecastParameters>): Intents {
    const p = ctx.params;
    const b = this.books.get(f.instrument);
    if (!b || f.model !== p.model) return noIntents;
    b.forecasts.push(f.forecast);
    if (!b.forecasts.full) return noIntents;
    const c = confidence(f.forecast, b.forecasts.values());
    b.lastConfidence = c;
    if (Number.isNaN(c)) return noIntents;
    if (c >= p.entryConfidence) b.target = p.maxPosition;
    else if (c <= -p.entryConfidence) b.target = -p.maxPosition;
    else if (Math.abs(c) <= p.exitConfidence) b.target = 0;
    return [{ kind: "target", instrument: f.instrument, quantity: toLots(b.target, ctx.instrument(f.instrument).lotSize) }];
  }

  onParameters(next: ModelForecastParameters, previous: ModelForecastParameters): void {
    if (next.lookback !== previous.lookback || next.model !== previous.model) this.rebuild(next);
  }
}

export const modelForecast: StrategyDefinition<ModelForecastParameters> = {
  name: "model-forecast",
  parameters: modelForecastParameters,
  create: (params, instruments) => new ModelForecastStrategy(params, instruments),
};
