export * from "./market-data.ts";
export * from "./orders.ts";
export * as schema from "./schemas.ts";
export * from "./risk.ts";
