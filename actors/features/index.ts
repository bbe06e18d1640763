export * from "./decide.ts";
export * from "./kind.ts";
export * from "./machine.ts";
export type { FeaturesContext, FeaturesEvent, FeaturesInput } from "./state.ts";
