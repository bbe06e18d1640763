export * from "./hawkes.ts";
export * from "./intraday-profile.ts";
export * from "./market-simulator.ts";
export * from "./prng.ts";
export * from "./venue-book.ts";
export { decideSnapshot, decideStep, feedStatus } from "./decide.ts";
export { afterStep, startMarket } from "./evolve.ts";
export { simulatorFeedMachine } from "./machine.ts";
export * from "./state.ts";
