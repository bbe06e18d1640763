import { ExecType, type ExecutionReport, type Quantity, type Side, ZERO_QUANTITY, reportWithoutFill } from "../../domain/index.ts";
import type { VenueOpenOrder, VenueView } from "./adapter.ts";

/** An order as the connection last knew it. IN_FLIGHT: sent, not acknowledged. */
export interface LocalOrder {
  clientOrderId: string;
  instrument: string;
  side: Side;
  quantity: Quantity;
  state: "IN_FLIGHT" | "OPEN" | "PENDING_CANCEL" | "PENDING_REPLACE";
  venueOrderId?: string;
  /** fills already forwarded to the order actor */
  execIds: readonly string[];
}

export interface LocalView {
  lastVenueSeq: number;
  orders: readonly LocalOrder[];
}

export type ReconcileAction =
  /** an execution the order actor has not had: forward it (fills apply once, by execId) */
  | { kind: "APPLY_EXECUTION"; report: ExecutionReport }
  /** an order sent before the drop whose ack was lost: the venue's answer, synthesised when the venue has none */
  | { kind: "RESOLVE_IN_FLIGHT"; clientOrderId: string; outcome: "ACCEPTED" | "REJECTED"; report?: ExecutionReport }
  /** an order open at the venue that this connection never sent */
  | { kind: "UNKNOWN_VENUE_ORDER"; order: VenueOpenOrder }
  /** a cancel that may not have reached the venue: the order is still open there */
  | { kind: "RESEND_CANCEL"; clientOrderId: string }
  /** an order we think is working that the venue no longer has, with no execution saying why */
  | { kind: "CLOSED_AT_VENUE"; clientOrderId: string; report: ExecutionReport };

export interface Reconciliation {
  actions: ReconcileAction[];
  lastVenueSeq: number;
}

const fills: ReadonlySet<string> = new Set([ExecType.Fill, ExecType.PartialFill]);
const closing: ReadonlySet<string> = new Set([ExecType.Canceled, ExecType.Expired, ExecType.Rejected]);

function synth(
  o: LocalOrder,
  execType: ExecType,
  execId: string,
  seq: number,
  nowUs: number,
  over: Partial<ExecutionReport> = {},
): ExecutionReport {
  return reportWithoutFill(o, execType, execId, seq, nowUs, over);
}

/**
 * What to do after a (re)connect so that local and venue agree. Pure. Executions are taken in venue sequence
 * order, once per execId (the venue may repeat one), skipping those already applied locally. Synthesised reports
 * get deterministic execIds (`recon:<clientOrderId>:<what>:<seq>`), so running the same reconciliation twice
 * yields the same ids and the order actor applies them once.
 */
export function reconcile(local: LocalView, venue: VenueView, nowUs: number): Reconciliation {
  const actions: ReconcileAction[] = [];
  const byId = new Map(local.orders.map((o) => [o.clientOrderId, o]));
  const applied = new Set(local.orders.flatMap((o) => o.execIds));
  const open = new Map(venue.openOrders.map((o) => [o.clientOrderId, o]));
  const seen = new Set<string>();
  const executions = [...venue.executions].sort((a, b) => a.venueSeq - b.venueSeq);
  let lastVenueSeq = local.lastVenueSeq;
  /** per order: the venue acknowledged it / closed it / answered its cancel, according to the executions */
  const known = new Set<string>();
  const closed = new Set<string>();
  const cancelAnswered = new Set<string>();

  for (const r of executions) {
    lastVenueSeq = Math.max(lastVenueSeq, r.venueSeq);
    if (seen.has(r.execId) || applied.has(r.execId)) continue;
    seen.add(r.execId);
    known.add(r.clientOrderId);
    if (closing.has(r.execType) || (fills.has(r.execType) && r.leavesQty === 0)) closed.add(r.clientOrderId);
    if (r.execType === ExecType.Canceled || r.execType === ExecType.CancelRejected) cancelAnswered.add(r.clientOrderId);
    actions.push({ kind: "APPLY_EXECUTION", report: r });
  }

  for (const o of local.orders) {
    const v = open.get(o.clientOrderId);
    const withVenueId = v ? { ...o, venueOrderId: v.venueOrderId } : o;
    if (o.state === "IN_FLIGHT") {
      const rejected = executions.some((r) => r.clientOrderId === o.clientOrderId && r.execType === ExecType.Rejected);
      if (rejected) {
        actions.push({ kind: "RESOLVE_IN_FLIGHT", clientOrderId: o.clientOrderId, outcome: "REJECTED" });
      } else if (v || known.has(o.clientOrderId)) {
        const acked = executions.some((r) => r.clientOrderId === o.clientOrderId && (r.execType === ExecType.New || fills.has(r.execType)));
        const report = acked
          ? undefined
          : synth(withVenueId, ExecType.New, `recon:${o.clientOrderId}:new:${lastVenueSeq}`, lastVenueSeq, nowUs, {
              cumQty: v?.cumQty ?? ZERO_QUANTITY,
              leavesQty: v?.leavesQty ?? o.quantity,
            });
        actions.push({ kind: "RESOLVE_IN_FLIGHT", clientOrderId: o.clientOrderId, outcome: "ACCEPTED", ...(report ? { report } : {}) });
      } else {
        const report = synth(o, ExecType.Rejected, `recon:${o.clientOrderId}:reject:${lastVenueSeq}`, lastVenueSeq, nowUs, {
          text: "the venue does not know this order after reconnect (never received)",
        });
        actions.push({ kind: "RESOLVE_IN_FLIGHT", clientOrderId: o.clientOrderId, outcome: "REJECTED", report });
      }
      continue;
    }
    if (v) {
      if (o.state === "PENDING_CANCEL" && !cancelAnswered.has(o.clientOrderId))
        actions.push({ kind: "RESEND_CANCEL", clientOrderId: o.clientOrderId });
      continue;
    }
    if (!closed.has(o.clientOrderId)) {
      const report = synth(withVenueId, ExecType.Canceled, `recon:${o.clientOrderId}:closed:${lastVenueSeq}`, lastVenueSeq, nowUs, {
        text: "not open at the venue after reconnect",
      });
      actions.push({ kind: "CLOSED_AT_VENUE", clientOrderId: o.clientOrderId, report });
    }
  }

  for (const v of venue.openOrders) {
    if (!byId.has(v.clientOrderId)) actions.push({ kind: "UNKNOWN_VENUE_ORDER", order: v });
  }
  return { actions, lastVenueSeq };
}
