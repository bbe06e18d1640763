import type { InstrumentDefinition } from "../../../actors/instrument/index.ts";
import { type BookConfig, defaultBookConfig } from "../../../actors/risk-book/index.ts";
import type { StrategyConfigInput, StrategyDefinition } from "../../../actors/strategy/index.ts";
import { marketMaker, meanReversion, modelForecast, signalBlend, trendFollower } from "../../../actors/strategy/index.ts";
import { fromNumber, parseMoney } from "../../../actors/domain/index.ts";

/** The demo's book and strategies: small sizes, one deliberately tight limit so a denial shows early. */
export const DEMO_BOOK = "demo";

export interface DemoStrategy {
  id: string;
  definition: StrategyDefinition<unknown>;
  config: StrategyConfigInput;
}

const pick = (catalogue: Map<string, InstrumentDefinition>, i: number): InstrumentDefinition => {
  const all = [...catalogue.values()];
  if (all.length === 0) throw new Error("the demo strategies need at least one instrument (AM_DEMO_INSTRUMENTS ≥ 1)");
  return all[i % all.length]!;
};
const spec = (d: InstrumentDefinition) => ({ id: d.id, tickSize: d.priceIncrement, lotSize: d.lotSize });

/** the committed model the demo's model strategies trade on */
export const DEMO_MODEL = "gbt-return-5f";

/**
 * One strategy per sample, each on its own instrument: the first three of the demo universe, and where it has seven
 * or more, the two that use a model on the sixth and seventh (so they never share an instrument with the others, nor
 * with what a small test market leaves untraded), trading its forecasts from the feature actors' bars of `barType`
 * (AM_FEATURES_BAR_TYPE).
 */
export function demoStrategies(catalogue: Map<string, InstrumentDefinition>, barType = "1m"): DemoStrategy[] {
  if (catalogue.size === 0) return []; // no demo market, no demo strategies
  return [...sampleStrategies(catalogue), ...(catalogue.size >= 7 ? modelStrategies(catalogue, barType) : [])];
}

function sampleStrategies(catalogue: Map<string, InstrumentDefinition>): DemoStrategy[] {
  const base = { book: DEMO_BOOK };
  return [
    {
      id: "trend-1",
      definition: trendFollower as StrategyDefinition<unknown>,
      config: {
        ...base,
        strategyId: "trend-1",
        instruments: [spec(pick(catalogue, 0))],
        channels: ["bar"],
        barType: "1s",
        // its size follows its instrument's regime actor (1s bars too): max(0.25, 1 − changeProbability)
        regimes: true,
        parameters: { fastPeriod: 3, slowPeriod: 6, atrPeriod: 3, riskPerTrade: 20, atrMultiple: 2, maxPosition: 10 },
      },
    },
    {
      id: "meanrev-1",
      definition: meanReversion as StrategyDefinition<unknown>,
      config: {
        ...base,
        strategyId: "meanrev-1",
        instruments: [spec(pick(catalogue, 1))],
        channels: ["quote"],
        parameters: { lookback: 20, entryZ: 1.5, exitZ: 0.3, maxPosition: 5, source: "mid" },
      },
    },
    {
      id: "mm-1",
      definition: marketMaker as StrategyDefinition<unknown>,
      config: {
        ...base,
        strategyId: "mm-1",
        instruments: [spec(pick(catalogue, 2))],
        channels: ["quote"],
        parameters: { quoteSize: 1, maxInventory: 5, warmupQuotes: 10, requoteTicks: 4, maxQuoteAgeMs: 10_000 },
      },
    },
  ];
}

function modelStrategies(catalogue: Map<string, InstrumentDefinition>, barType: string): DemoStrategy[] {
  const base = { book: DEMO_BOOK };
  return [
    {
      id: "forecast-1",
      definition: modelForecast as StrategyDefinition<unknown>,
      config: {
        ...base,
        strategyId: "forecast-1",
        instruments: [spec(pick(catalogue, 5))],
        channels: ["bar"],
        signals: [DEMO_MODEL],
        barType,
        parameters: { model: DEMO_MODEL, lookback: 20, entryConfidence: 1.5, exitConfidence: 0.25, maxPosition: 10 },
      },
    },
    {
      id: "blend-1",
      definition: signalBlend as StrategyDefinition<unknown>,
      config: {
        ...base,
        strategyId: "blend-1",
        instruments: [spec(pick(catalogue, 6))],
        channels: ["bar", "features"],
        signals: [DEMO_MODEL],
        barType,
        parameters: { signals: [`model:${DEMO_MODEL}`, "factor:ret1", "factor:ret5"], icWindow: 30, entry: 1, exit: 0.2, maxPosition: 10 },
      },
    },
  ];
}

/**
 * The demo book: every demo instrument registered, modest book-wide limits, and a maximum position of 5 on the
 * trend follower's instrument while it targets up to 10, so its first order (about 10 s after the start, once its
 * 1 s bars have primed it) is denied: the demo's visible limit. The strategy is not told of denials (it hears order
 * events only), so it then waits on that order and trades no more; the others trade on. `listings` (the demo's
 * symbols on its other venues) are held too, for routed parents.
 */
export function demoBook(catalogue: Map<string, InstrumentDefinition>, listings: readonly InstrumentDefinition[] = []): BookConfig {
  const trend = catalogue.size ? pick(catalogue, 0) : undefined;
  return defaultBookConfig(DEMO_BOOK, {
    initialCash: parseMoney("1000000"),
    markSource: "MID",
    hwmStep: parseMoney("100"),
    instruments: [...catalogue.values(), ...listings].map((d) => ({
      instrument: d.id,
      multiplier: d.multiplier,
      sector: d.sector ?? "OTHER",
      assetClass: d.assetClass,
    })),
    limits: {
      maxOrderQuantity: fromNumber(100),
      maxPosition: fromNumber(50),
      instruments: trend ? { [trend.id]: { maxPosition: fromNumber(5) } } : {},
      orderRate: { maxOrders: 200, windowUs: 1_000_000 },
      // a regime change halves an instrument's position and notional limits until its run passes 30 bars
      regimeScale: { threshold: 0.5, factor: 0.5, holdBars: 30 },
    },
  });
}
