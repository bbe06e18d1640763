export * from "./liquidation-env.ts";
export * from "./policy-evaluation.ts";
export { parseLiquidationSettings } from "./settings.ts";
export * from "./backtest-evaluation.ts";
