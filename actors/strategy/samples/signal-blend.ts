/**
 * Signal blend: several signals of the next bar's return combined into one, each weighted by its recent information
 * coefficient (IC: the correlation of its values with the returns that followed them, over the last `icWindow`
 * bars). A signal is a model's forecast (`model:<name>`, ModelForecast) or a factor of the bar (`factor:<name>`,
 * BarFactors). Each is standardised against its recent values (zᵢ = (value − mean) / standard deviation, so a level
 * such as volatility counts by its change); the blend is Σ wᵢ·zᵢ with wᵢ = ICᵢ / Σ|ICⱼ|,
 * so a signal that lately pointed the wrong way counts inverted and one without skill counts for nothing. A blend
 * at or beyond ±entry goes long or short maxPosition, within ±exit flat, in between it holds.
 * Point in time: a signal stamped at a bar's close is paired with that bar's next return only once the next bar has
 * closed, so the weights a decision uses know nothing of returns after it. Signals arriving for a bar older than
 * the latest closed one are stale and dropped.
 */
import { mean, sampleCorrelation, standardDeviation } from "simple-statistics";
import { z } from "zod";
import { type Bar, BAR_FACTORS, type BarFactors, type ModelForecast, toNumber } from "../../domain/index.ts";
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

const factorNames: readonly string[] = BAR_FACTORS.features;
const signalName = z
  .string()
  .regex(/^(model:[A-Za-z0-9][A-Za-z0-9_.-]*|factor:[A-Za-z0-9]+)$/, "model:<name> or factor:<name>")
  .refine((s) => !s.startsWith("factor:") || factorNames.includes(s.slice(7)), {
    message: `a factor of bar-factors v1: ${BAR_FACTORS.features.join(", ")}`,
  });

export const signalBlendParameters = z
  .object({
    signals: z
      .array(signalName)
      .min(1)
      .refine((s) => new Set(s).size === s.length, { message: "each signal once" })
      .default(["model:gbt-return-5f", "factor:ret1", "factor:ret5"]),
    /** bars whose (signal, next return) pairs give a signal its IC; it trades once every signal has this many */
    icWindow: z.number().int().min(10).max(5_000).default(60),
    entry: z.number().positive().default(1),
    exit: z.number().nonnegative().default(0.2),
    /** in whole units of the instrument */
    maxPosition: z.number().positive().default(100),
  })
  .refine((p) => p.exit < p.entry, { path: ["exit"], message: "must be less than entry" });
export type SignalBlendParameters = z.output<typeof signalBlendParameters>;

/** One signal's recent values and the returns that followed each (aligned: the i-th value, the i-th return). */
class SignalRecord {
  readonly values: RollingWindow;
  readonly returns: RollingWindow;
  constructor(window: number) {
    this.values = new RollingWindow(window);
    this.returns = new RollingWindow(window);
  }
  /** the correlation of the values with the returns after them; 0 while either does not vary */
  ic(): number {
    if (this.values.size < 3) return 0;
    const r = sampleCorrelation(this.values.values(), this.returns.values());
    return Number.isFinite(r) ? r : 0;
  }
  /** a value against the recent ones: (value − mean) / standard deviation; 0 while they do not vary */
  standardised(value: number): number {
    const v = this.values.values();
    if (v.length < 2) return 0;
    const spread = standardDeviation(v);
    return spread > 0 ? (value - mean(v)) / spread : 0;
  }
}

class Book {
  readonly records: Map<string, SignalRecord>;
  /** signal values by the close time of the bar they were computed at, until that bar's next return is known */
  readonly pending = new Map<number, Map<string, number>>();
  lastClose: { tsEvent: number; close: number } | undefined;
  target = 0;
  lastBlend = Number.NaN;
  constructor(signals: readonly string[], window: number) {
    this.records = new Map(signals.map((s) => [s, new SignalRecord(window)]));
  }
}

export interface SignalWeights {
  ic: Record<string, number>;
  weight: Record<string, number>;
}

/** wᵢ = ICᵢ / Σ|ICⱼ| (all zero when no signal has an IC). */
export function icWeights(ics: Record<string, number>): Record<string, number> {
  const total = Object.values(ics).reduce((s, x) => s + Math.abs(x), 0);
  return Object.fromEntries(Object.entries(ics).map(([k, ic]) => [k, total > 0 ? ic / total : 0]));
}

class SignalBlend implements Strategy<SignalBlendParameters> {
  private books = new Map<string, Book>();

  constructor(
    params: SignalBlendParameters,
    private readonly instruments: readonly StrategyInstrument[],
  ) {
    this.rebuild(params);
  }

  private rebuild(p: SignalBlendParameters): void {
    this.books = new Map(this.instruments.map((i) => [i.id, new Book(p.signals, p.icWindow)]));
  }

  isReady(): boolean {
    for (const b of this.books.values()) for (const r of b.records.values()) if (!r.values.full) return false;
    return true;
  }

  /** each signal's IC and weight now (for inspection and tests) */
  weights(instrument: string): SignalWeights {
    const b = this.books.get(instrument);
    const ic = Object.fromEntries([...(b?.records ?? [])].map(([k, r]) => [k, r.ic()]));
    return { ic, weight: icWeights(ic) };
  }

  blend(instrument: string): number {
    return this.books.get(instrument)?.lastBlend ?? Number.NaN;
  }

  /** A closed bar realises the previous bar's next return: its signals join their records. */
  onBar(bar: Bar, _ctx: StrategyContext<SignalBlendParameters>): Intents {
    const b = this.books.get(bar.instrument);
    if (!b) return noIntents;
    const close = toNumber(bar.close);
    const last = b.lastClose;
    if (last && bar.tsEvent <= last.tsEvent) return noIntents;
    if (last) {
      const realised = close / last.close - 1;
      for (const [name, value] of b.pending.get(last.tsEvent) ?? []) {
        const r = b.records.get(name)!;
        r.values.push(value);
        r.returns.push(realised);
      }
      for (const ts of b.pending.keys()) if (ts <= last.tsEvent) b.pending.delete(ts);
    }
    b.lastClose = { tsEvent: bar.tsEvent, close };
    return noIntents;
  }

  onFactors(f: BarFactors, ctx: StrategyContext<SignalBlendParameters>): Intents {
    let intents: Intents = noIntents;
    for (const name of factorNames) {
      const signal = `factor:${name}`;
      const out = this.observe(f.instrument, signal, f.tsEvent, f.factors[name as keyof BarFactors["factors"]], ctx);
      if (out !== noIntents) intents = out;
    }
    return intents;
  }

  onForecast(f: ModelForecast, ctx: StrategyContext<SignalBlendParameters>): Intents {
    return this.observe(f.instrument, `model:${f.model}`, f.tsEvent, f.forecast, ctx);
  }

  /** A signal's value for the bar that closed at tsEvent; once the bar has all its signals, the blend decides. */
  private observe(
    instrument: string,
    signal: string,
    tsEvent: number,
    value: number,
    ctx: StrategyContext<SignalBlendParameters>,
  ): Intents {
    const b = this.books.get(instrument);
    if (!b?.records.has(signal)) return noIntents;
    if (b.lastClose && tsEvent < b.lastClose.tsEvent) return noIntents;
    const bar = b.pending.get(tsEvent) ?? new Map<string, number>();
    b.pending.set(tsEvent, bar);
    bar.set(signal, value);
    if (bar.size < b.records.size) return noIntents;
    const ics: Record<string, number> = {};
    for (const [name, r] of b.records) {
      if (!r.values.full) return noIntents;
      ics[name] = r.ic();
    }
    const w = icWeights(ics);
    let blend = 0;
    for (const [name, r] of b.records) blend += w[name]! * r.standardised(bar.get(name)!);
    b.lastBlend = blend;
    const p = ctx.params;
    if (blend >= p.entry) b.target = p.maxPosition;
    else if (blend <= -p.entry) b.target = -p.maxPosition;
    else if (Math.abs(blend) <= p.exit) b.target = 0;
    return [{ kind: "target", instrument, quantity: toLots(b.target, ctx.instrument(instrument).lotSize) }];
  }

  onParameters(next: SignalBlendParameters, previous: SignalBlendParameters): void {
    if (next.icWindow !== previous.icWindow || next.signals.join() !== previous.signals.join()) this.rebuild(next);
  }
}

export const signalBlend: StrategyDefinition<SignalBlendParameters> = {
  name: "signal-blend",
  parameters: signalBlendParameters,
  create: (params, instruments) => new SignalBlend(params, instruments),
};
