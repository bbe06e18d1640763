export * from "./matching/index.ts";
