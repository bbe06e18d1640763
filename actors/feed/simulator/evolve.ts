import { MarketSimulator } from "./market-simulator.ts";
import type { SimulatorFeedContext } from "./state.ts";

/**
 * The first step starts the market at the delivered time, so a restarted feed starts a fresh (seeded) market. Its
 * book sequences start at that time in µs, as a real feed's new session does: above every earlier run's, so the
 * instruments take the new run's first snapshot as a resync instead of refusing its items as stale.
 */
export const startMarket = (c: SimulatorFeedContext, nowUs: number): Partial<SimulatorFeedContext> => ({
  sim: new MarketSimulator({ ...c.config, startUs: nowUs, seqBase: Math.max(0, Math.floor(nowUs)) }),
});

/** Each step counts what it published. */
export const afterStep = (c: SimulatorFeedContext, published: number): Partial<SimulatorFeedContext> => ({
  published: c.published + published,
});
