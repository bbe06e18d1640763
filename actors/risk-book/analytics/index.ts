/**
 * Risk analytics of a book: VaR and expected shortfall by five estimators, per-position contributions, VaR
 * backtests, stress tests, counterparty exposure and CVA, and performance attribution. Pure functions on float64
 * figures (statistics, ARCHITECTURE §3); the book's money stays fixed-point and is converted at the call.
 */
export * from "./counterparty.ts";
export * from "./distributions.ts";
export * from "./matrix.ts";
export * from "./performance.ts";
export * from "./stress.ts";
export * from "./value-at-risk.ts";
export * from "./var-backtest.ts";
export * from "./var-contributions.ts";
