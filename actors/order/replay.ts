import type { SnapshotFrom } from "xstate";
import type { OrderEvent } from "../domain/index.ts";
import { stepperFor } from "../domain/machine-stepper.ts";
import { type OrderMachineInput, orderMachine } from "./machine.ts";

export type OrderSnapshot = SnapshotFrom<typeof orderMachine>;

/** Rebuilds an order from its journal with the machine's pure transitions (emissions are discarded, as in restore). */
export function replay(events: readonly OrderEvent[], input?: OrderMachineInput): OrderSnapshot {
  const stepper = stepperFor(orderMachine);
  let [snapshot] = stepper.initial(input ?? {});
  for (const e of events) [snapshot] = stepper.step(snapshot, { ...e, nowUs: e.tsInit });
  return snapshot as OrderSnapshot;
}
