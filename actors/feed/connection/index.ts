export * from "./machine.ts";
export * from "./protocol.ts";
export * from "./kind.ts";
