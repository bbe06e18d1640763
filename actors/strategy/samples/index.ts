export * from "./grid.ts";
export * from "./market-maker.ts";
export * from "./mean-reversion.ts";
export * from "./model-forecast.ts";
export * from "./signal-blend.ts";
export * from "./trend-follower.ts";
