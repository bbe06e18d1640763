export * from "./decide.ts";
export * from "./events.ts";
export * from "./evolve.ts";
export * from "./kind.ts";
export * from "./machine.ts";
export * from "./messages.ts";
export * from "./request.ts";
export type { TrainerPort } from "./trainer-port.ts";
