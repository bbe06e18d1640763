export * from "./inference-port.ts";
export * from "./kind.ts";
export * from "./machine.ts";
export * from "./messages.ts";
export * from "./model-card.ts";
export * from "./onnx-inference.ts";
export * from "./serving-config.ts";
export * from "./signature.ts";
export type { Batching, ModelContext, ModelMachineInput, Waiting } from "./state.ts";
