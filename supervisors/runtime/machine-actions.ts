import type { Emitted } from "../../actors/contract/index.ts";
import type { MachineAction } from "./restore.ts";
import type { PendingTimer } from "./snapshots.ts";

/** Where a transition's delayed events go: the host's timers (real time live, simulated time in a backtest). */
export interface DelayedEvents {
  arm(timer: PendingTimer): void;
  disarm(id: string): void;
}

/**
 * Runs a transition's actions as every host runs them: collects what the machine emitted, arms and cancels its
 * delayed events, and executes its custom actions. On replay, custom actions and emissions are skipped.
 */
export function runMachineActions(actions: MachineAction[], nowUs: number, timers: DelayedEvents, replay = false): Emitted[] {
  const emitted: Emitted[] = [];
  for (const a of actions) {
    const p = a.params as Record<string, unknown> | undefined;
    if (a.type === "xstate.emit") emitted.push(p!.event as Emitted);
    else if (a.type === "xstate.raise" && p && typeof p.delay === "number") {
      timers.arm({
        id: String(p.id ?? (p.event as { type: string }).type),
        event: p.event as { type: string },
        dueUs: nowUs + p.delay * 1000,
      });
    } else if (a.type === "xstate.cancel" && p) timers.disarm(String(p.sendId ?? p.id));
    else if (!replay && typeof a.exec === "function" && !a.type.startsWith("xstate."))
      (a.exec as (info: unknown, params: unknown) => void)(a.info, p);
  }
  return replay ? [] : emitted;
}
