import {
  CancelCause,
  ExecType,
  type ExecutionReport,
  type VenueCancelOrder,
  type VenueNewOrder,
  type VenueReplaceOrder,
} from "../../domain/index.ts";
import { type Emitted, type ForwardRefused, parseSubject } from "../../contract/index.ts";
import type { AdapterEvent } from "./adapter.ts";
import { cancelCommand, forward, REPORT_KEY, refusedAmend, refusedNew, reply, stamp, toAdapter } from "./emit.ts";
import type { VenueReportRefused } from "./events.ts";
import { afterReport, trackReport, withOrder } from "./evolve.ts";
import { noteGap, stateSince } from "./gap-fill.ts";
import { VenueReason } from "./reasons.ts";
import { type LocalOrder, reconcile } from "./reconcile.ts";
import { backoffMs, breakerFailure, nextRandom, takeToken } from "./resilience.ts";
import type { Outcome, VenueConnectionContext } from "./state.ts";

/*
 * The decisions of a venue connection: for each command or venue answer, which context fields change and what goes
 * out (adapter commands, execution reports forwarded to order actors, replies, domain events). Pure; the machine
 * (machine.ts) decides only which of these apply in which connection state, and when its timers fire.
 */

type Delivered<T> = T & { nowUs: number };
type NewOrderInput = Delivered<VenueNewOrder & { type: "VenueNewOrder" }>;
type CancelInput = Delivered<VenueCancelOrder & { type: "VenueCancelOrder" }>;
type ReplaceInput = Delivered<VenueReplaceOrder & { type: "VenueReplaceOrder" }>;
export type VenueCommandInput = NewOrderInput | CancelInput | ReplaceInput;
type VenueStateSnapshot = Extract<AdapterEvent, { type: "VenueStateSnapshot" }>;

export const connect = (c: VenueConnectionContext): Outcome => ({
  patch: {},
  emitted: [toAdapter(c, { type: "AdapterConnect", venue: c.config.venue })],
});
export const disconnect = (c: VenueConnectionContext): Outcome => ({
  patch: {},
  emitted: [toAdapter(c, { type: "AdapterDisconnect", venue: c.config.venue, reason: "timeout" })],
});

/** A failed or lost connection: one more attempt, the next jittered backoff, and the breaker's count. */
export function decideFailure(c: VenueConnectionContext): Outcome {
  const cfg = c.config;
  const breaker = breakerFailure(c.breaker, c.nowUs, cfg.breakerThreshold, cfg.breakerWindowUs);
  const attempt = c.attempt + 1;
  const [r, rng] = nextRandom(c.rng);
  const emitted: Emitted[] =
    breaker.mode === "OPEN"
      ? [
          {
            type: "domain",
            event: { type: "VenueCircuitOpened", venue: cfg.venue, failures: breaker.failuresUs.length, ...stamp(c.nowUs) },
          },
        ]
      : [];
  // asks the venue will not answer now: their orders ask again
  return {
    patch: {
      breaker,
      attempt,
      rng,
      nextDelayMs: backoffMs(attempt, cfg.backoffBaseMs, cfg.backoffMaxMs, r),
      statusAwaiting: {},
      statusUnknown: {},
    },
    emitted,
  };
}

/** The venue's state after logon against the view: forwarded reports, unknown orders, cancels to send again. */
export function decideReconcile(c: VenueConnectionContext, snapshot: VenueStateSnapshot): Outcome {
  const now = c.nowUs;
  const rec = reconcile({ lastVenueSeq: stateSince(c), orders: Object.values(c.orders) }, snapshot, now);
  let orders = c.orders;
  const emitted: Emitted[] = [];
  const awaiting: string[] = [];
  const orphans = [...(c.orphans ?? [])];
  const counts = { appliedExecutions: 0, resolvedInFlight: 0, unknownOrders: 0, resentCancels: 0, closedAtVenue: 0 };
  for (const a of rec.actions) {
    switch (a.kind) {
      case "APPLY_EXECUTION":
        counts.appliedExecutions += 1;
        orders = trackReport(orders, a.report);
        emitted.push(forward(a.report));
        break;
      case "RESOLVE_IN_FLIGHT":
        counts.resolvedInFlight += 1;
        if (a.report) {
          orders = trackReport(orders, a.report);
          emitted.push(forward(a.report));
        }
        break;
      case "CLOSED_AT_VENUE":
        counts.closedAtVenue += 1;
        orders = trackReport(orders, a.report);
        emitted.push(forward(a.report));
        break;
      case "UNKNOWN_VENUE_ORDER":
        counts.unknownOrders += 1;
        // a snapshot older than the last save of the config has no policy: cancelling is the default
        if (c.config.unknownOrders !== "report") {
          orphans.push(a.order.clientOrderId);
          emitted.push(toAdapter(c, { ...cancelCommand({ ...a.order, state: "OPEN", execIds: [] }, now), cause: CancelCause.User }));
        }
        emitted.push({
          type: "domain",
          event: {
            type: "UnknownVenueOrderFound",
            venue: c.config.venue,
            clientOrderId: a.order.clientOrderId,
            venueOrderId: a.order.venueOrderId,
            instrument: a.order.instrument,
            side: a.order.side,
            leavesQty: a.order.leavesQty,
            ...stamp(now),
          },
        });
        break;
      case "RESEND_CANCEL": {
        const o = orders[a.clientOrderId];
        if (!o) break;
        counts.resentCancels += 1;
        awaiting.push(a.clientOrderId);
        emitted.push(toAdapter(c, { ...cancelCommand(o, now), cause: c.killSwitch.active ? CancelCause.KillSwitch : CancelCause.User }));
        break;
      }
    }
  }
  emitted.push({
    type: "domain",
    event: { type: "VenueReconciled", venue: c.config.venue, ...counts, lastVenueSeq: rec.lastVenueSeq, ...stamp(now) },
  });
  return { patch: { orders, awaiting, orphans, lastVenueSeq: Math.max(c.lastVenueSeq, rec.lastVenueSeq), missingSeqs: [] }, emitted };
}

/** An execution report from the venue: tracked in the view and forwarded to its order actor. */
export function decideReport(c: VenueConnectionContext, event: Delivered<ExecutionReport & { type: "ExecutionReport" }>): Outcome {
  const { type: _t, nowUs: _n, ...report } = event;
  const gap = noteGap(c, report);
  const out = reportOutcome(c, report);
  return { patch: { ...gap.patch, ...out.patch }, emitted: [...out.emitted, ...gap.emitted] };
}

/**
 * An order actor refused a report for good (it holds no such order, or the report does not fit it): the venue's
 * execution is in no order's books, which only an operator can put right, so it is recorded as a domain event with
 * the order's reason. Refusals of anything else the connection forwards change nothing.
 */
export function decideReportRefused(c: VenueConnectionContext, e: ForwardRefused): Outcome {
  // only reports are forwarded under this key; its subject is the order's, as forward() built it
  if (!e.key.startsWith(REPORT_KEY)) return { patch: {}, emitted: [] };
  const refused: VenueReportRefused & { type: "VenueReportRefused" } = {
    type: "VenueReportRefused",
    venue: c.config.venue,
    clientOrderId: parseSubject(e.subject).id ?? e.subject,
    execId: e.key.slice(REPORT_KEY.length),
    code: e.error.code.slice(0, 64),
    reason: e.error.message.slice(0, 1024),
    ...stamp(c.nowUs),
  };
  return { patch: {}, emitted: [{ type: "domain", event: refused }] };
}

function reportOutcome(c: VenueConnectionContext, report: ExecutionReport): Outcome {
  if (c.orphans?.includes(report.clientOrderId) && !c.orders[report.clientOrderId]) {
    // The answer to our cancel of an order this view does not hold. Its order actor may still hold it open: this
    // view may come from a snapshot older than the order (a restart after a failed save). So the venue's truth
    // goes to it, fills and the cancel alike; an order actor that had closed the order ignores a cancel. Only a
    // cancel reject answers a request no order actor made.
    const open = report.leavesQty > 0 && report.execType !== ExecType.Canceled && report.execType !== ExecType.CancelRejected;
    return {
      patch: {
        lastVenueSeq: Math.max(c.lastVenueSeq, report.venueSeq),
        orphans: open ? c.orphans : c.orphans.filter((id) => id !== report.clientOrderId),
      },
      emitted: report.execType === ExecType.CancelRejected ? [] : [forward(report)],
    };
  }
  if (!c.orders[report.clientOrderId] && leftOpen(report) && c.config.unknownOrders !== "report") {
    // the venue has an order working that this view closed (a new order that arrived after the venue's state was
    // read on reconnect, its close synthesised): the platform holds it closed, so it is cancelled at the venue
    return {
      patch: { ...afterReport(c, report), orphans: [...(c.orphans ?? []), report.clientOrderId] },
      emitted: [
        forward(report),
        toAdapter(c, {
          ...cancelCommand({ ...report, quantity: report.leavesQty, state: "OPEN", execIds: [] }, c.nowUs),
          cause: CancelCause.User,
        }),
      ],
    };
  }
  return { patch: afterReport(c, report), emitted: [forward(report)] };
}

/** A report that leaves its order working at the venue. */
const leftOpen = (r: ExecutionReport): boolean =>
  r.leavesQty > 0 && (r.execType === ExecType.New || r.execType === ExecType.PartialFill || r.execType === ExecType.Replaced);

const notOpen = (c: VenueConnectionContext, cmd: CancelInput | ReplaceInput): Outcome => ({
  patch: {},
  emitted: [
    forward(refusedAmend(c, cmd, VenueReason.UnknownOrder, c.nowUs)),
    reply(false, VenueReason.UnknownOrder, `order ${cmd.clientOrderId} is not open at venue ${c.config.venue}`),
  ],
});

/** Outside `ready`: new orders and replaces are refused, cancels remembered for reconciliation. */
export function decideHeld(c: VenueConnectionContext, event: VenueCommandInput): Outcome {
  const now = c.nowUs;
  if (event.type === "VenueNewOrder") {
    const code = c.killSwitch.active ? VenueReason.KillSwitchActive : VenueReason.NotReady;
    return {
      patch: {},
      emitted: [forward(refusedNew(c, event, code, now)), reply(false, code, `venue ${c.config.venue} is not ready for new orders`)],
    };
  }
  if (event.type === "VenueReplaceOrder") {
    return {
      patch: {},
      emitted: [
        forward(refusedAmend(c, event, VenueReason.NotReady, now)),
        reply(false, VenueReason.NotReady, `venue ${c.config.venue} is not ready for replaces`),
      ],
    };
  }
  const o = c.orders[event.clientOrderId];
  if (!o) return notOpen(c, event);
  return {
    patch: { orders: withOrder(c.orders, { ...o, state: "PENDING_CANCEL" }) },
    emitted: [reply(true, undefined, "cancel held until the venue is reconciled")],
  };
}

/** In `ready`: kill switch, then the rate limit, then out to the adapter. Cancels are never rate limited. */
export function decideRouted(c: VenueConnectionContext, event: VenueCommandInput): Outcome {
  const now = c.nowUs;
  const cfg = c.config;
  if (event.type === "VenueCancelOrder") {
    const o = c.orders[event.clientOrderId];
    if (!o) return notOpen(c, event);
    const { nowUs: _n, ...cmd } = event;
    return {
      patch: { orders: withOrder(c.orders, { ...o, state: "PENDING_CANCEL" }) },
      emitted: [toAdapter(c, cmd), reply(true, undefined, "sent")],
    };
  }
  const isNew = event.type === "VenueNewOrder";
  const refuse = (code: VenueReason, message: string, patch: Outcome["patch"] = {}): Outcome => ({
    patch,
    emitted: [forward(isNew ? refusedNew(c, event, code, now) : refusedAmend(c, event, code, now)), reply(false, code, message)],
  });
  if (c.killSwitch.active) return refuse(VenueReason.KillSwitchActive, `venue ${cfg.venue} kill switch: ${c.killSwitch.reason ?? ""}`);
  if (!isNew && !c.orders[event.clientOrderId])
    return refuse(VenueReason.UnknownOrder, `order ${event.clientOrderId} is not open at venue ${cfg.venue}`);
  const t = takeToken(c.bucket, now, cfg.rateCapacity, cfg.ratePerSecond);
  if (!t.ok)
    return refuse(VenueReason.RateLimited, `venue ${cfg.venue} allows ${cfg.ratePerSecond} orders/s (burst ${cfg.rateCapacity})`, {
      bucket: t.bucket,
    });
  const { nowUs: _n, ...cmd } = event;
  const local: LocalOrder = isNew
    ? {
        clientOrderId: event.clientOrderId,
        instrument: event.instrument,
        side: event.side,
        quantity: event.quantity,
        state: "IN_FLIGHT",
        execIds: [],
      }
    : { ...c.orders[event.clientOrderId]!, state: "PENDING_REPLACE" };
  return { patch: { bucket: t.bucket, orders: withOrder(c.orders, local) }, emitted: [toAdapter(c, cmd), reply(true, undefined, "sent")] };
}

/** The kill switch: every open order is marked for cancel (sent in `ready`, else by reconciliation). */
export function decideKillSwitch(c: VenueConnectionContext, { by, reason }: { by: string; reason: string }): Outcome {
  const open = Object.values(c.orders);
  return {
    patch: {
      killSwitch: { active: true, reason, by },
      orders: Object.fromEntries(open.map((o) => [o.clientOrderId, { ...o, state: "PENDING_CANCEL" as const }])),
    },
    emitted: [
      {
        type: "domain",
        event: { type: "VenueKillSwitchActivated", venue: c.config.venue, by, reason, canceled: open.length, ...stamp(c.nowUs) },
      },
      reply(true, undefined, `cancelling ${open.length} open orders`),
    ],
  };
}

/** In `ready` the kill switch's cancels go out at once. */
export function killCancels(c: VenueConnectionContext): Outcome {
  if (!c.killSwitch.active) return { patch: {}, emitted: [] };
  return { patch: {}, emitted: Object.values(c.orders).map((o) => toAdapter(c, cancelCommand(o, c.nowUs))) };
}

export function decideRelease(c: VenueConnectionContext, { by, reason }: { by: string; reason?: string | undefined }): Outcome {
  const why = reason ? { reason } : {};
  return {
    patch: { killSwitch: { active: false } },
    emitted: [
      { type: "domain", event: { type: "VenueKillSwitchReleased", venue: c.config.venue, by, ...why, ...stamp(c.nowUs) } },
      reply(true, undefined, "released"),
    ],
  };
}
