import { defineKind, type Forward, parseInstrumentId, subjects } from "../contract/index.ts";
import { algoView } from "./decide.ts";
import { algoMachine } from "./machine.ts";
import { type AlgoContext, isDone } from "./state.ts";

/**
 * One execution algorithm per parent order (id = parentId), event-sourced, started on demand like any actor
 * (placement's spawn, then StartAlgo). While it works the parent (started, not yet completed or canceled) it hears
 * its children's order events on am.evt.order.> (child ids share no subject prefix; it keeps its own) and its
 * instrument's quotes and trades; a finished parent lets go of both and answers only its commands (progress, TCA).
 */
export const executionAlgoKind = () =>
  defineKind({
    name: "execution-algo",
    machine: algoMachine,
    input: (parentId) => ({ parentId }),
    interest: (c) => {
      const context = c as AlgoContext;
      if (context.parent === null || isDone(context)) return [];
      const instrument = parseInstrumentId(context.parent.instrument);
      return [subjects.evtAll("order"), subjects.md("quote", instrument), subjects.md("trade", instrument)];
    },
    persistence: "event-sourced",
    // only commands are checked against their schemas: the machine filters market data and order events by id
    validate: "commands",
    // children's order events published while the parent was down are read back before it sends more (their
    // fills are taken by cumulative quantity, so the overlap counts once)
    catchUp: { subjects: () => [subjects.evtAll("order")], overlapMs: 2_000 },
    // a child journaled but never heard of may have died with its forward: the risk book takes a retry as the same order
    outbox: (c) => childForwards(c as AlgoContext),
    mailboxCapacity: 50_000,
    summarize: (c) => {
      const v = algoView(c as AlgoContext);
      return { status: v.status, filled: v.filled, open: v.open, slice: v.slice, slices: v.slices };
    },
  });

function childForwards(c: AlgoContext): Forward[] {
  const p = c.parent;
  if (!p || isDone(c)) return [];
  const out: Forward[] = [];
  for (const [clientOrderId, child] of Object.entries(c.children)) {
    if (child.acked) continue;
    out.push({
      type: "forward",
      key: clientOrderId,
      subject: subjects.cmd("risk-book", p.book),
      message: {
        type: "SubmitOrder",
        clientOrderId,
        instrument: p.instrument,
        side: p.side,
        orderType: p.limitPrice === undefined ? "MARKET" : "LIMIT",
        ...(p.limitPrice !== undefined ? { price: p.limitPrice } : {}),
        quantity: child.quantity,
        timeInForce: p.params.algo === "ICEBERG" ? "DAY" : "IOC",
        postOnly: false,
        reduceOnly: false,
        strategy: p.strategy,
        book: p.book,
        redelivered: true,
        tsEvent: c.nowUs,
        tsInit: c.nowUs,
      },
    });
  }
  return out;
}
