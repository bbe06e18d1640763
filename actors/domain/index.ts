export * from "./bar-factors.ts";
export * from "./fixed.ts";
export * from "./trading.ts";
export * from "./messages/index.ts";
export * from "./retry.ts";
