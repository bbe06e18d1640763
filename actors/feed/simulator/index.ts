export * from "./hawkes.ts";
export * from "./intraday-profile.ts";
export * from "./market-simulator.ts";
export * from "./prng.ts";
export * from "./venue-book.ts";
export * from "./kind.ts";
