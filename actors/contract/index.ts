export * from "./admin.ts";
export * from "./clock.ts";
export * from "./ids.ts";
export * from "./kind.ts";
export * from "./message.ts";
export * from "./reply.ts";
export * from "./runtime-contract.ts";
export * from "./subjects.ts";
