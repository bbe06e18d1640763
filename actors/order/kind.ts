import { defineKind } from "../contract/index.ts";
import { fullCapabilities } from "./capabilities.ts";
import { type OrderContext, orderMachine } from "./machine.ts";
import { isTerminal } from "./order-state.ts";

/**
 * One entity per order (id = clientOrderId), event-sourced, in 32 shards: the shard's owner activates an order on
 * its first command (the book's SubmitOrder) with no KV write, and passivates it a little after it closes.
 */
export const orderKind = () =>
  defineKind({
    name: "order",
    machine: orderMachine,
    input: () => ({ capabilities: fullCapabilities }),
    persistence: "event-sourced",
    sharding: {
      shards: 32,
      doneWhen: (c) => {
        const o = (c as OrderContext).order;
        return o !== null && isTerminal(o.status);
      },
    },
    // restored from its journal in a new process: reports sent to it while it was down are lost, so ask
    resumeWith: { type: "ResumeOrder" },
    summarize: (c) => {
      const o = (c as { order: { status: string; cumQty: number; quantity: number } | null }).order;
      return o ? { status: o.status, cumQty: o.cumQty, quantity: o.quantity } : { status: "NONE" };
    },
  });
