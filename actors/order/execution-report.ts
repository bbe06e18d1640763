import { CancelCause as Cause, ExecType, type OrderEvent, subtractQuantity } from "../domain/index.ts";
import { type Decision, type ExecutionReportInput, finish, ok, refuse } from "./decision.ts";
import { addFill } from "./fill.ts";
import { isTerminal, OrdStatus, type OrderState } from "./order-state.ts";
import { OrderReason } from "./reasons.ts";

/**
 * A venue holding the order's list restates its size before it works (a bracket's exit sized to what the entry
 * filled): the order continues smaller, at its version; a restatement that is not smaller, or after a fill, is refused.
 */
function restated(o: OrderState, r: ExecutionReportInput): Decision {
  const quantity = r.quantity;
  if (quantity === undefined || quantity >= o.quantity || o.cumQty > 0 || isTerminal(o.status))
    return refuse(
      OrderReason.InvalidTransition,
      `execution report ${r.execId}: restatement to ${quantity ?? "no quantity"} of order ${o.clientOrderId} (quantity ${o.quantity}, filled ${o.cumQty}, ${o.status})`,
    );
  return finish(
    o,
    [
      {
        type: "OrderReplaced",
        clientOrderId: o.clientOrderId,
        ...(r.venueOrderId !== undefined ? { venueOrderId: r.venueOrderId } : {}),
        version: o.version,
        quantity,
        ...(o.price !== undefined ? { price: o.price } : {}),
        ...(o.stopPrice !== undefined ? { stopPrice: o.stopPrice } : {}),
        leavesQty: quantity,
        tsEvent: r.tsEvent,
        tsInit: r.nowUs,
      },
    ],
    [],
  );
}

/** The venue's execution report: the transition it names, if the order is in a state it applies to; duplicates are ignored. */
export function decideReport(o: OrderState | null, r: ExecutionReportInput): Decision {
  if (o === null) return refuse(OrderReason.UnknownOrder, `execution report ${r.execId}: no order ${r.clientOrderId}`);
  if (r.clientOrderId !== o.clientOrderId || r.instrument !== o.instrument || r.side !== o.side) {
    return refuse(
      OrderReason.ReportMismatch,
      `execution report ${r.execId}: ${r.clientOrderId} ${r.side} ${r.instrument} is not order ${o.clientOrderId} ${o.side} ${o.instrument}`,
    );
  }
  const stamp = { tsEvent: r.tsEvent, tsInit: r.nowUs };
  const id = o.clientOrderId;
  const invalid = () =>
    refuse(OrderReason.InvalidTransition, `execution report ${r.execId}: ${r.execType} does not apply to an order in ${o.status}`);
  const ignored = (note: string): Decision => ({ events: [], commands: [], reply: ok(o, note) });
  const unacked = o.atVenue && !o.acked;
  const accepted = (): OrderEvent => ({
    type: "OrderAccepted",
    clientOrderId: id,
    ...(r.venueOrderId !== undefined ? { venueOrderId: r.venueOrderId } : {}),
    local: false,
    ...stamp,
  });
  switch (r.execType) {
    case ExecType.PartialFill:
    case ExecType.Fill: {
      if (o.execIds.includes(r.execId)) return ignored(`duplicate execId ${r.execId}`);
      if (isTerminal(o.status)) return refuse(OrderReason.OrderClosed, `fill ${r.execId}: order ${id} is ${o.status}`);
      if (!o.atVenue) return invalid();
      if (o.cumQty + r.lastQty > o.quantity) {
        return refuse(OrderReason.Overfill, `fill ${r.execId}: lastQty ${r.lastQty} on cumQty ${o.cumQty} exceeds quantity ${o.quantity}`);
      }
      const t = addFill(o, r.lastQty, r.lastPx);
      const filled: OrderEvent = {
        type: "OrderFilled",
        clientOrderId: id,
        ...(r.venueOrderId !== undefined ? { venueOrderId: r.venueOrderId } : {}),
        execId: r.execId,
        side: o.side,
        lastQty: r.lastQty,
        lastPx: r.lastPx,
        fee: r.fee,
        liquidity: r.liquidity ?? "TAKER",
        cumQty: t.cumQty,
        leavesQty: subtractQuantity(o.quantity, t.cumQty),
        avgPx: t.avgPx,
        venueSeq: r.venueSeq,
        ...stamp,
      };
      // A fill before the ack acknowledges the order implicitly (venues may skip the New report).
      return finish(o, unacked ? [accepted(), filled] : [filled], []);
    }
    case ExecType.New:
      if (unacked && !isTerminal(o.status)) return finish(o, [accepted()], []);
      // the acknowledgement again, closed or not: a forward asked again after the order moved on (a cell held
      // meanwhile), not news from the venue
      if (o.acked) return ignored("duplicate acknowledgement");
      return invalid();
    case ExecType.Rejected:
      if (unacked && !isTerminal(o.status)) {
        return finish(
          o,
          [
            {
              type: "OrderRejected",
              clientOrderId: id,
              reason: OrderReason.VenueRejected,
              message: r.text ?? "rejected by the venue",
              ...stamp,
            },
          ],
          [],
        );
      }
      return invalid();
    case ExecType.Canceled:
      if (o.status === OrdStatus.Canceled) return ignored("already canceled");
      if (isTerminal(o.status) || !o.atVenue) return invalid();
      if (o.cancelCause === Cause.Expired) return finish(o, [{ type: "OrderExpired", clientOrderId: id, cumQty: o.cumQty, ...stamp }], []);
      return finish(o, [{ type: "OrderCanceled", clientOrderId: id, cause: o.cancelCause ?? Cause.Venue, cumQty: o.cumQty, ...stamp }], []);
    case ExecType.Expired:
      if (o.status === OrdStatus.Expired) return ignored("already expired");
      if (isTerminal(o.status) || !o.atVenue) return invalid();
      return finish(o, [{ type: "OrderExpired", clientOrderId: id, cumQty: o.cumQty, ...stamp }], []);
    case ExecType.PendingCancel:
      if (o.status === OrdStatus.PendingCancel) return ignored("cancel already pending");
      if ((o.status === OrdStatus.New || o.status === OrdStatus.PartiallyFilled) && o.atVenue) {
        return finish(o, [{ type: "OrderCancelPending", clientOrderId: id, cause: Cause.Venue, ...stamp }], []);
      }
      return invalid();
    case ExecType.PendingReplace:
      return o.status === OrdStatus.PendingReplace ? ignored("replace already pending") : invalid();
    case ExecType.Replaced: {
      const p = o.pendingReplace;
      if (p === undefined && o.list !== undefined) return restated(o, r);
      if (o.status !== OrdStatus.PendingReplace || p === undefined) return invalid();
      const quantity = r.quantity ?? p.quantity;
      if (quantity <= o.cumQty)
        return refuse(OrderReason.InvalidTransition, `replace ${r.execId}: quantity ${quantity} is not above the filled ${o.cumQty}`);
      const price = r.price ?? p.price;
      const stopPrice = r.stopPrice ?? p.stopPrice;
      return finish(
        o,
        [
          {
            type: "OrderReplaced",
            clientOrderId: id,
            ...(r.venueOrderId !== undefined ? { venueOrderId: r.venueOrderId } : {}),
            version: p.version,
            quantity,
            ...(price !== undefined ? { price } : {}),
            ...(stopPrice !== undefined ? { stopPrice } : {}),
            leavesQty: subtractQuantity(quantity, o.cumQty),
            ...stamp,
          },
        ],
        [],
      );
    }
    case ExecType.CancelRejected:
      if (o.status === OrdStatus.PendingCancel || o.status === OrdStatus.PendingReplace) {
        const request = o.status === OrdStatus.PendingCancel ? "CANCEL" : "REPLACE";
        return finish(
          o,
          [{ type: "OrderCancelRejected", clientOrderId: id, request, reason: r.text ?? "refused by the venue", ...stamp }],
          [],
        );
      }
      // A late answer to a request that a fill or cancel overtook.
      if (isTerminal(o.status)) return ignored(`cancel reject after ${o.status}`);
      return invalid();
  }
}
