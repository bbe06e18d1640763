/**
 * Portfolio construction: covariance estimation (Ledoit-Wolf shrinkage, factor models) and target weights by
 * mean-variance, minimum variance, risk parity, Black-Litterman and hierarchical risk parity. Pure functions;
 * turning targets into orders through the risk book is the portfolio actor's job.
 */
export * from "./black-litterman.ts";
export * from "./covariance.ts";
export * from "./hierarchical-risk-parity.ts";
export * from "./mean-variance.ts";
export * from "./risk-model.ts";
export * from "./risk-parity.ts";
export * from "./weight-constraints.ts";
export { loadQuadraticSolver } from "./quadratic-program.ts";
