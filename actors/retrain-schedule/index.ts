export * from "./definition.ts";
export * from "./evolve.ts";
export * from "./kind.ts";
export * from "./machine.ts";
export * from "./messages.ts";
export type { RetrainPort } from "./retrain-port.ts";
