export * from "./changepoint.ts";
export * from "./kind.ts";
export * from "./machine.ts";
export * from "./messages.ts";
export { defaultRegimeSettings, type RegimeContext, type RegimeMachineInput, type RegimeSettings } from "./state.ts";
