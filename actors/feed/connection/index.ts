export { decideConnect, decideFailure, decideLive } from "./decide.ts";
export { afterDrop, afterProgress, mergeMarks } from "./evolve.ts";
export { type FeedConnectionMachine, feedConnectionMachine } from "./machine.ts";
export * from "./protocol.ts";
export * from "./state.ts";
export * from "./kind.ts";
