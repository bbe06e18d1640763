export * from "./codes.ts";
export * from "./engine.ts";
export * from "./fees.ts";
export type { MatchEvent } from "./journal.ts";
export { MatchJournal } from "./journal.ts";
export * from "./latency.ts";
export * from "./simulated-exchange.ts";
