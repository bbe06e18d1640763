export * from "./almgren-chriss.ts";
export * from "./schedule.ts";
export * from "./tca.ts";
export * from "./state.ts";
export { AlgoRejectCode, algoView, type ChildReport } from "./decide.ts";
export { type AlgoEvent, evolve } from "./evolve.ts";
export type { AlgoInput } from "./inputs.ts";
export { algoMachine, type AlgoMachine, type AlgoMachineInput, step } from "./machine.ts";
export { executionAlgoKind } from "./kind.ts";
