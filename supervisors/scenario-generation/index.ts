export * from "./ccc-garch.ts";
export * from "./scenario-set.ts";
export * from "./scenario-training.ts";
export * from "./simulated-returns.ts";
export * from "./stylised-facts.ts";
