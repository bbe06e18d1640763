/** Portfolio construction: covariance estimators and optimisers (the portfolio actor will host them). */
export * from "./construction/index.ts";
