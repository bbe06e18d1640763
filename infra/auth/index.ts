export * from "./tokens.ts";
