import { defineKind } from "../contract/index.ts";
import { fullCapabilities } from "./capabilities.ts";
import { orderMachine } from "./machine.ts";

/** One actor per order (id = clientOrderId), event-sourced, created by its SubmitOrder (spawn on demand). */
export const orderKind = () =>
  defineKind({
    name: "order",
    machine: orderMachine,
    input: () => ({ capabilities: fullCapabilities }),
    persistence: "event-sourced",
    spawnOnDemand: true,
    spawnOn: ["SubmitOrder"],
    // restored from its journal in a new process: reports sent to it while it was down are lost, so ask
    resumeWith: { type: "ResumeOrder" },
    retireWhen: (e) =>
      e.type === "OrderCancelled" || e.type === "OrderRejected" || e.type === "OrderExpired" || (e.type === "OrderFilled" && e.leavesQty === 0),
    summarize: (c) => {
      const o = (c as { order: { status: string; cumQty: number; quantity: number } | null }).order;
      return o ? { status: o.status, cumQty: o.cumQty, quantity: o.quantity } : { status: "NONE" };
    },
  });
