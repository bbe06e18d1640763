export * from "./clock.ts";
export * from "./fixed.ts";
export * from "./ids.ts";
export * from "./message.ts";
export * from "./subjects.ts";
export * from "./trading.ts";
export * from "./messages/index.ts";
export * from "./runtime-contract.ts";
