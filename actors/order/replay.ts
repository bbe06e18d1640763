import { initialTransition, type SnapshotFrom, transition } from "xstate";
import type { OrderEvent } from "../domain/index.ts";
import { type OrderMachineInput, orderMachine } from "./machine.ts";

export type OrderSnapshot = SnapshotFrom<typeof orderMachine>;

/** Rebuilds an order from its journal with XState's pure transition (emissions are discarded, as in restore). */
export function replay(events: readonly OrderEvent[], input?: OrderMachineInput): OrderSnapshot {
  let [snapshot] = initialTransition(orderMachine, input ?? {});
  for (const e of events) [snapshot] = transition(orderMachine, snapshot, { ...e, nowUs: e.tsInit });
  return snapshot;
}
