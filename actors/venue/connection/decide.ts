import {
  CancelCause,
  ExecType,
  type ExecutionReport,
  type VenueCancelOrder,
  type VenueNewOrder,
  type VenueReplaceOrder,
  ZERO_PRICE,
  ZERO_QUANTITY,
} from "../../domain/index.ts";
import { type Emitted, subjects } from "../../contract/index.ts";
import type { AdapterEvent, VenueOrderView } from "./adapter.ts";
import { afterReport, trackReport, withOrder } from "./evolve.ts";
import { VenueReason } from "./reasons.ts";
import { type LocalOrder, reconcile } from "./reconcile.ts";
import { backoffMs, breakerFailure, nextRandom, takeToken } from "./resilience.ts";
import type { OrderStatusRequest, Outcome, VenueConnectionContext, VenueConnectionInput } from "./state.ts";

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

const adapterSubject = (c: VenueConnectionContext) => subjects.cmd("venue-adapter", c.config.venue);
const orderSubject = (clientOrderId: string) => subjects.cmd("order", clientOrderId);
const stamp = (nowUs: number) => ({ tsEvent: nowUs, tsInit: nowUs });
const toAdapter = (c: VenueConnectionContext, message: Record<string, unknown> & { type: string }): Emitted => ({
  type: "publish",
  subject: adapterSubject(c),
  message,
});

function forward(r: ExecutionReport): Emitted {
  return { type: "publish", subject: orderSubject(r.clientOrderId), message: { type: "ExecutionReport", ...r } };
}

function refusedNew(
  c: VenueConnectionContext,
  cmd: Pick<VenueNewOrder, "clientOrderId" | "version" | "instrument" | "side">,
  code: VenueReason,
  nowUs: number,
): ExecutionReport {
  return {
    clientOrderId: cmd.clientOrderId,
    execId: `refused:${c.config.venue}:${cmd.clientOrderId}:${cmd.version}:${nowUs}`,
    execType: ExecType.Rejected,
    instrument: cmd.instrument,
    side: cmd.side,
    lastQty: ZERO_QUANTITY,
    lastPx: ZERO_PRICE,
    cumQty: ZERO_QUANTITY,
    leavesQty: ZERO_QUANTITY,
    avgPx: ZERO_PRICE,
    fee: 0,
    venueSeq: c.lastVenueSeq,
    text: `${code}: venue ${c.config.venue} refused the order`,
    ...stamp(nowUs),
  };
}

function refusedAmend(
  c: VenueConnectionContext,
  cmd: VenueCancelOrder | VenueReplaceOrder,
  code: VenueReason,
  nowUs: number,
): ExecutionReport {
  return {
    ...refusedNew(c, { ...cmd, version: 0 }, code, nowUs),
    execType: ExecType.CancelRejected,
    execId: `refused:${c.config.venue}:${cmd.clientOrderId}:amend:${nowUs}`,
  };
}

const reply = (ok: boolean, code: VenueReason | undefined, message: string): Emitted =>
  ok ? { type: "reply", ok: true, result: { message } } : { type: "reply", ok: false, error: { code: code ?? "", message } };

function cancelCommand(o: LocalOrder, nowUs: number): { type: "VenueCancelOrder" } & VenueCancelOrder {
  return {
    type: "VenueCancelOrder",
    clientOrderId: o.clientOrderId,
    ...(o.venueOrderId !== undefined ? { venueOrderId: o.venueOrderId } : {}),
    instrument: o.instrument,
    side: o.side,
    cause: CancelCause.KillSwitch,
    ...stamp(nowUs),
  };
}

export const connect = (c: VenueConnectionContext): Outcome => ({
  patch: {},
  emitted: [toAdapter(c, { type: "AdapterConnect", venue: c.config.venue })],
});
export const disconnect = (c: VenueConnectionContext): Outcome => ({
  patch: {},
  emitted: [toAdapter(c, { type: "AdapterDisconnect", venue: c.config.venue, reason: "timeout" })],
});
export const requestState = (c: VenueConnectionContext): Outcome => ({
  patch: {},
  emitted: [toAdapter(c, { type: "AdapterRequestState", venue: c.config.venue, sinceSeq: c.lastVenueSeq })],
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
    patch: { breaker, attempt, rng, nextDelayMs: backoffMs(attempt, cfg.backoffBaseMs, cfg.backoffMaxMs, r), statusAwaiting: {} },
    emitted,
  };
}

/** The venue's state after logon against the view: forwarded reports, unknown orders, cancels to send again. */
export function decideReconcile(c: VenueConnectionContext, snapshot: VenueStateSnapshot): Outcome {
  const now = c.nowUs;
  const rec = reconcile({ lastVenueSeq: c.lastVenueSeq, orders: Object.values(c.orders) }, snapshot, now);
  let orders = c.orders;
  const emitted: Emitted[] = [];
  const awaiting: string[] = [];
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
  return { patch: { orders, awaiting, lastVenueSeq: rec.lastVenueSeq }, emitted };
}

/** An execution report from the venue: tracked in the view and forwarded to its order actor. */
export function decideReport(c: VenueConnectionContext, event: Delivered<ExecutionReport & { type: "ExecutionReport" }>): Outcome {
  const { type: _t, nowUs: _n, ...report } = event;
  return { patch: afterReport(c, report), emitted: [forward(report)] };
}

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
export function decideKillSwitch(c: VenueConnectionContext, reason: string): Outcome {
  const open = Object.values(c.orders);
  return {
    patch: {
      killSwitch: { active: true, reason },
      orders: Object.fromEntries(open.map((o) => [o.clientOrderId, { ...o, state: "PENDING_CANCEL" as const }])),
    },
    emitted: [
      {
        type: "domain",
        event: { type: "VenueKillSwitchActivated", venue: c.config.venue, reason, canceled: open.length, ...stamp(c.nowUs) },
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

export function decideRelease(c: VenueConnectionContext): Outcome {
  return {
    patch: { killSwitch: { active: false } },
    emitted: [
      { type: "domain", event: { type: "VenueKillSwitchReleased", venue: c.config.venue, ...stamp(c.nowUs) } },
      reply(true, undefined, "released"),
    ],
  };
}

/**
 * An order actor asks after its order. In the view: the venue's reports reach it as they come, nothing to say.
 * Not in the view once reconciled: the venue does not have it open (what it executed was forwarded by
 * reconciliation), so the order is closed, rejected if the venue never acknowledged it, with the reason.
 */
function answerStatus(c: VenueConnectionContext, q: OrderStatusRequest): Emitted[] {
  if (c.orders[q.clientOrderId]) return [];
  const now = c.nowUs;
  const seq = c.lastVenueSeq;
  const report: ExecutionReport = {
    clientOrderId: q.clientOrderId,
    execId: `recon:${q.clientOrderId}:status:${seq}`,
    execType: q.acknowledged ? ExecType.Canceled : ExecType.Rejected,
    instrument: q.instrument,
    side: q.side,
    lastQty: ZERO_QUANTITY,
    lastPx: ZERO_PRICE,
    cumQty: q.cumQty,
    leavesQty: ZERO_QUANTITY,
    avgPx: ZERO_PRICE,
    fee: 0,
    venueSeq: seq,
    text: q.acknowledged
      ? `${VenueReason.UnknownOrder}: not open at venue ${c.config.venue} after a restart`
      : `${VenueReason.UnknownOrder}: venue ${c.config.venue} never received the order (lost in a restart)`,
    ...stamp(now),
  };
  return [forward(report)];
}

type StatusInput = Extract<VenueConnectionInput, { type: "VenueOrderStatusRequest" }>;
const requestOf = ({ clientOrderId, instrument, side, cumQty, acknowledged }: StatusInput): OrderStatusRequest => ({
  clientOrderId,
  instrument,
  side,
  cumQty,
  acknowledged,
});

/**
 * In `ready`: an order not in the view is answered at once; one in the view (its new order, cancel or replace sent,
 * or working) is asked of the venue, whose answer (VenueOrderStatus) settles it. What the order waits for travels
 * with the ask, so that a cancel or replace lost before it reached us is found too.
 */
export function decideStatus(c: VenueConnectionContext, e: StatusInput): Outcome {
  const o = c.orders[e.clientOrderId];
  if (!o) return { patch: {}, emitted: answerStatus(c, requestOf(e)) };
  const amend = e.awaiting === "CANCEL" || e.awaiting === "REPLACE" ? e.awaiting : undefined;
  return {
    patch: amend ? { statusAwaiting: { ...awaitingOf(c), [e.clientOrderId]: amend } } : {},
    emitted: [toAdapter(c, { type: "AdapterOrderStatusRequest", venue: c.config.venue, clientOrderId: e.clientOrderId })],
  };
}

/** a snapshot saved before the field existed has none */
const awaitingOf = (c: VenueConnectionContext): Record<string, "CANCEL" | "REPLACE"> => c.statusAwaiting ?? {};

const amendAnswers: ReadonlySet<string> = new Set([ExecType.Replaced, ExecType.CancelRejected]);
const isFill = (r: ExecutionReport): boolean => r.execType === ExecType.Fill || r.execType === ExecType.PartialFill;
const closes = (r: ExecutionReport): boolean =>
  r.execType === ExecType.Canceled ||
  r.execType === ExecType.Expired ||
  r.execType === ExecType.Rejected ||
  (isFill(r) && r.leavesQty === 0);

/** Closes an order the venue does not have open and remembers no close of: rejected if never acknowledged. */
function closedUnknown(c: VenueConnectionContext, o: LocalOrder): ExecutionReport {
  const never = o.state === "IN_FLIGHT";
  return {
    ...refusedNew(c, { ...o, version: 0 }, VenueReason.UnknownOrder, c.nowUs),
    execId: `status:${c.config.venue}:${o.clientOrderId}:unknown`,
    execType: never ? ExecType.Rejected : ExecType.Canceled,
    text: never
      ? `${VenueReason.UnknownOrder}: venue ${c.config.venue} never received order ${o.clientOrderId}`
      : `${VenueReason.UnknownOrder}: venue ${c.config.venue} no longer has order ${o.clientOrderId} open`,
  };
}

/**
 * The venue's answer about one order in the view. Not open there: its fills and its close go to the order (the
 * close synthesised with the reason when the venue remembers none: rejected if never acknowledged), and it leaves
 * the view. Open: its acknowledgement, fills and last answer to a cancel or replace go to the order (applied once,
 * by execId and state); an answer the venue never gave is settled here: a cancel it never received is sent again,
 * a replace it never received is refused (the order stands on its earlier terms, as at the venue).
 */
export function decideOrderStatus(c: VenueConnectionContext, v: VenueOrderView): Outcome {
  const o = c.orders[v.clientOrderId];
  const { [v.clientOrderId]: awaited, ...restAwaiting } = awaitingOf(c);
  const patch: Partial<VenueConnectionContext> = awaited ? { statusAwaiting: restAwaiting } : {};
  if (!o) return { patch, emitted: [] };
  const now = c.nowUs;
  const acks = v.reports.filter((r) => r.execType === ExecType.New);
  const fills = v.reports.filter(isFill);
  if (!v.open) {
    const close = v.reports.findLast(closes) ?? closedUnknown(c, o);
    const sent = [...acks, ...fills.filter((r) => r !== close), close];
    const { [o.clientOrderId]: _gone, ...orders } = c.orders;
    return { patch: { ...patch, orders }, emitted: sent.map(forward) };
  }
  const lastAmend = v.reports.findLast((r) => amendAnswers.has(r.execType));
  const sent = [...acks, ...fills, ...(lastAmend ? [lastAmend] : [])].sort((a, b) => a.venueSeq - b.venueSeq);
  const emitted = sent.map(forward);
  // the view takes what it lacks: the ack of an order in flight, fills it has not seen, the last amend answer
  let orders = c.orders;
  for (const r of sent) {
    const known = orders[o.clientOrderId];
    if (!known || (isFill(r) && known.execIds.includes(r.execId)) || (r.execType === ExecType.New && known.state !== "IN_FLIGHT")) continue;
    orders = trackReport(orders, r);
  }
  const still = orders[o.clientOrderId];
  if (still && !lastAmend && awaited === "CANCEL") {
    orders = withOrder(orders, { ...still, state: "PENDING_CANCEL" });
    emitted.push(toAdapter(c, { ...cancelCommand(still, now), cause: CancelCause.User }));
  } else if (still && !lastAmend && awaited === "REPLACE") {
    orders = withOrder(orders, { ...still, state: "OPEN" });
    emitted.push(
      forward({
        ...refusedAmend(c, { ...still, cause: CancelCause.User, tsEvent: now, tsInit: now }, VenueReason.UnknownOrder, now),
        execId: `status:${c.config.venue}:${o.clientOrderId}:replace:${now}`,
        text: `${VenueReason.UnknownOrder}: venue ${c.config.venue} never received the replace; the order stands on its earlier terms`,
      }),
    );
  }
  return { patch: { ...patch, orders }, emitted };
}

/** Before the session is reconciled: held, so that reconciliation's reports go first. */
export const holdStatus = (c: VenueConnectionContext, e: StatusInput): Outcome => ({
  patch: { statusRequests: [...c.statusRequests.filter((q) => q.clientOrderId !== e.clientOrderId), requestOf(e)] },
  emitted: [],
});

/** Entering `ready`: the held requests, answered against the reconciled view. */
export const answerHeldStatus = (c: VenueConnectionContext): Outcome =>
  c.statusRequests.length === 0
    ? { patch: {}, emitted: [] }
    : { patch: { statusRequests: [] }, emitted: c.statusRequests.flatMap((q) => answerStatus(c, q)) };
