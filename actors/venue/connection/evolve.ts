import { ExecType, type ExecutionReport } from "../../domain/index.ts";
import type { LocalOrder } from "./reconcile.ts";
import type { VenueConnectionContext } from "./state.ts";

/*
 * The connection's view of its open orders as execution reports and its own commands change it. Pure; the
 * context is snapshotted (not journaled), so these functions only keep the view that reconciliation compares.
 */

/** Updates the connection's view of one order from an execution report; closed orders leave the view. */
export function trackReport(orders: Record<string, LocalOrder>, r: ExecutionReport): Record<string, LocalOrder> {
  const o = orders[r.clientOrderId];
  if (!o) return orders;
  const venueId = r.venueOrderId !== undefined ? { venueOrderId: r.venueOrderId } : {};
  let next: LocalOrder | undefined = o;
  switch (r.execType) {
    case ExecType.Fill:
    case ExecType.PartialFill:
      next =
        r.leavesQty === 0
          ? undefined
          : { ...o, ...venueId, state: o.state === "IN_FLIGHT" ? "OPEN" : o.state, execIds: [...o.execIds, r.execId] };
      break;
    case ExecType.Canceled:
    case ExecType.Expired:
    case ExecType.Rejected:
      next = undefined;
      break;
    case ExecType.New:
    case ExecType.CancelRejected:
      next = { ...o, ...venueId, state: "OPEN" };
      break;
    case ExecType.Replaced:
      next = { ...o, ...venueId, state: "OPEN", ...(r.quantity !== undefined ? { quantity: r.quantity } : {}) };
      break;
    default:
      break;
  }
  const { [r.clientOrderId]: _old, ...rest } = orders;
  return next ? { ...rest, [r.clientOrderId]: next } : rest;
}

/** An execution report from the venue: the view, the venue sequence, and whether a re-sent cancel is answered. */
export function afterReport(c: VenueConnectionContext, report: ExecutionReport): Partial<VenueConnectionContext> {
  const done =
    report.execType !== ExecType.PendingCancel &&
    report.execType !== ExecType.New &&
    !(report.leavesQty > 0 && (report.execType === ExecType.PartialFill || report.execType === ExecType.Fill));
  return {
    orders: trackReport(c.orders, report),
    lastVenueSeq: Math.max(c.lastVenueSeq, report.venueSeq),
    awaiting: done ? c.awaiting.filter((id) => id !== report.clientOrderId) : c.awaiting,
  };
}

/** One order's state in the view (a cancel or replace sent or held, a new order in flight). */
export function withOrder(orders: Record<string, LocalOrder>, o: LocalOrder): Record<string, LocalOrder> {
  return { ...orders, [o.clientOrderId]: o };
}
