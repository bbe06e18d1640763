import { MarketSimulator } from "./market-simulator.ts";
import type { SimulatorFeedContext } from "./state.ts";

/** The first step starts the market at the delivered time, so a restarted feed starts a fresh (seeded) market. */
export const startMarket = (c: SimulatorFeedContext, nowUs: number): Partial<SimulatorFeedContext> => ({
  sim: new MarketSimulator({ ...c.config, startUs: nowUs }),
});

/** Each step counts what it published. */
export const afterStep = (c: SimulatorFeedContext, published: number): Partial<SimulatorFeedContext> => ({
  published: c.published + published,
});
