export * from "./execution-algo.ts";
export * from "./feed.ts";
export * from "./market-data.ts";
export * from "./order-events.ts";
export * from "./orders.ts";
export * from "./risk.ts";
export * as schema from "./schemas.ts";
export * from "./strategy.ts";
export * from "./recorder.ts";
