export * from "./state.ts";
export { dueLegs, droppedLegs, legsOf, legsToCancel, outcomeOf } from "./contingency.ts";
export { decideLegReport, ListRejectCode, listView, type Step } from "./decide.ts";
export { evolve, type ListEvent } from "./evolve.ts";
export type { LegReport, ListInput } from "./inputs.ts";
export { listMachine, type ListMachine, type ListMachineInput, step } from "./machine.ts";
export { orderListKind } from "./kind.ts";
