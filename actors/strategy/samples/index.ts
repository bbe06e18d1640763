import type { StrategyDefinition } from "../strategy.ts";
import { marketMaker } from "./market-maker.ts";
import { meanReversion } from "./mean-reversion.ts";
import { modelForecast } from "./model-forecast.ts";
import { portfolioRebalancer } from "./portfolio-rebalancer.ts";
import { signalBlend } from "./signal-blend.ts";
import { trendFollower } from "./trend-follower.ts";

export * from "./grid.ts";
export * from "./market-maker.ts";
export * from "./mean-reversion.ts";
export * from "./model-forecast.ts";
export * from "./signal-blend.ts";
export * from "./trend-follower.ts";
export * from "./portfolio-rebalancer.ts";

/** The sample strategies by the name a deployment or a backtest configuration gives. */
export const strategySamples: Readonly<Record<string, StrategyDefinition<unknown>>> = {
  [trendFollower.name]: trendFollower as StrategyDefinition<unknown>,
  [meanReversion.name]: meanReversion as StrategyDefinition<unknown>,
  [marketMaker.name]: marketMaker as StrategyDefinition<unknown>,
  [portfolioRebalancer.name]: portfolioRebalancer as StrategyDefinition<unknown>,
  [modelForecast.name]: modelForecast as StrategyDefinition<unknown>,
  [signalBlend.name]: signalBlend as StrategyDefinition<unknown>,
};
/** Their names, for a configuration schema's enum. */
export const strategySampleNames = Object.keys(strategySamples) as [string, ...string[]];
