export * from "./machine.ts";
export * from "./protocol.ts";
