export * from "./machine.ts";
export * from "./policy.ts";
export * from "./protocol.ts";
