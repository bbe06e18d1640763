/** How a strategy actor is configured: what it trades, on which book, and its initial parameters. */
import { z } from "zod";
import { schema } from "../domain/index.ts";
import { MdChannel } from "../contract/index.ts";

/** `features`: the instruments' bar factors (BarFactors, from their feature actors) */
export const strategyChannels = [MdChannel.Quote, MdChannel.Trade, MdChannel.Bar, MdChannel.Features] as const;
export type StrategyChannel = (typeof strategyChannels)[number];

export const strategyConfig = z.object({
  /** no dots: client order ids are <strategyId>.<session>.<n> and ownership is decided by that prefix */
  strategyId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_:-]{0,39}$/, "1-40 of A-Z a-z 0-9 _ : - (no dots)"),
  /** the risk book that checks this strategy's orders */
  book: z.string().min(1).max(64),
  instruments: z.array(z.object({ id: schema.instrumentId, tickSize: schema.positivePrice, lotSize: schema.positiveQuantity })).min(1),
  channels: z.array(z.enum(strategyChannels)).min(1),
  /** models whose forecasts for its instruments (ModelForecast on am.signal.<model>.<venue>.<symbol>) it hears */
  signals: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "a model name: 1-64 of A-Z a-z 0-9 _ . -")).default([]),
  /**
   * hear the regime actors' estimates for its instruments (RegimeEstimated on am.evt.regime.<venue>.<symbol>),
   * to onRegime
   */
  regimes: z.boolean().default(false),
  /** only bars (and bar factors, forecasts, regime estimates) of this type reach the strategy, e.g. "1m" */
  barType: z.string().optional(),
  /** onTimer period while running; no timer when absent */
  timerIntervalMs: z.number().int().positive().optional(),
  parameters: z.record(z.string(), z.unknown()).default({}),
  /** positions held when the actor starts (from the risk book), signed 1e-8 units */
  initialPositions: z.record(z.string(), schema.quantity).default({}),
  /**
   * market data events kept (the latest, across instruments and channels) to rebuild the strategy's indicators
   * when it is restored from its snapshot: fed again without trading; enough for the longest warm-up it needs
   */
  rebuildEvents: z.number().int().min(0).max(2_000).default(500),
  /** start trading at once (a supervisor restart): the time of the start, as StartStrategy's nowUs would be */
  startAtUs: schema.micros.optional(),
});
export type StrategyConfigInput = z.input<typeof strategyConfig>;
export type StrategyConfig = z.output<typeof strategyConfig>;

export class StrategyConfigError extends Error {
  override name = "StrategyConfigError";
}

export function parseStrategyConfig(input: StrategyConfigInput): StrategyConfig {
  const r = strategyConfig.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new StrategyConfigError(`strategy config ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  return r.data;
}
