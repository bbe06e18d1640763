import { initialTransition, type SnapshotFrom, transition } from "xstate";
import type { OrderEvent } from "../domain/index.ts";
import { type OrderMachineInput, orderMachine } from "./machine.ts";

export type OrderSnapshot = SnapshotFrom<typeof orderMachine>;

/**
 * Rebuilds an order from its journal with the machine's pure transitions (emissions are discarded, as in restore).
 * XState's own pure functions, not the runtime's faster stepper: replay runs outside the hot path.
 */
export function replay(events: readonly OrderEvent[], input?: OrderMachineInput): OrderSnapshot {
  let [snapshot] = initialTransition(orderMachine, input ?? {});
  for (const e of events) [snapshot] = transition(orderMachine, snapshot, { ...e, nowUs: e.tsInit });
  return snapshot;
}
