export * from "./market-data.ts";
export * from "./orders.ts";
export * from "./order-events.ts";
export * as schema from "./schemas.ts";
export * from "./reply.ts";
