export * from "./bars.ts";
export * from "./definition.ts";
export * from "./feed-handler.ts";
export * from "./machine.ts";
export * from "./order-book.ts";
export * from "./trading-hours.ts";
export * from "./trading-status.ts";
export * from "./validation.ts";
