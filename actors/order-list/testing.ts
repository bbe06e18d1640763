import type { Emitted } from "../contract/index.ts";
import { fromNumber, SubmitOrderList } from "../domain/index.ts";
import { evolve, type ListEvent } from "./evolve.ts";
import type { ListInput } from "./inputs.ts";
import { step } from "./machine.ts";
import { initialContext, type ListContext } from "./state.ts";

export const T0 = 1_700_000_000_000_000;
export const INSTRUMENT = "SIM004.SIMX";

/** A leg's terms: a limit buy of one at 100 unless told otherwise. */
export const leg = (over: Record<string, unknown> = {}) => ({
  instrument: INSTRUMENT,
  side: "BUY",
  orderType: "LIMIT",
  quantity: fromNumber(1),
  price: fromNumber(100),
  timeInForce: "GTC",
  ...over,
});

/** A SubmitOrderList as the schema hands it to the machine (defaults filled in). */
export function submitList(body: Record<string, unknown>): Record<string, unknown> {
  const parsed = SubmitOrderList.schema.parse({ book: "b1", strategy: "s1", tsEvent: T0, tsInit: T0, ...body });
  return { ...parsed, type: "SubmitOrderList", nowUs: T0 };
}

/** Runs a list's steps in memory, keeping its journal and what it emitted. */
export class ListDriver {
  context: ListContext;
  journal: ListEvent[] = [];
  emitted: Emitted[] = [];
  constructor(listId = "l1") {
    this.context = initialContext(listId);
  }
  send(input: Record<string, unknown>): Emitted[] {
    const s = step(this.context, { nowUs: T0, tsEvent: T0, tsInit: T0, ...input } as ListInput);
    this.context = s.context;
    for (const e of s.emitted) if (e.type === "domain") this.journal.push(e.event as ListEvent);
    this.emitted.push(...s.emitted);
    return s.emitted;
  }
  /** The state its journal rebuilds, as after a restart. */
  replayed(): ListContext {
    return this.journal.reduce(evolve, initialContext(this.context.listId));
  }
}

export const forwards = (out: Emitted[]) => out.flatMap((e) => (e.type === "forward" ? [e] : []));
export const cancels = (out: Emitted[]) =>
  out.flatMap((e) =>
    e.type === "publish" && (e.message as { type: string }).type === "CancelOrder" ? [String(e.message.clientOrderId)] : [],
  );
export const filled = (clientOrderId: string, cumQty: number, leavesQty = 0) => ({
  type: "OrderFilled",
  clientOrderId,
  lastPx: fromNumber(100),
  cumQty,
  leavesQty,
});
