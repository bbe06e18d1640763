// Over 400 lines on purpose: one short decision per risk-book command, all built on the one Decider below.
/**
 * Command handling: each command decides the domain events it causes, applying them one by one so that later
 * checks (high-water mark, alerts) see the earlier events' effect. The caller journals `events`, adopts `book`
 * (which equals folding `events` into the old book) and sends `reply`.
 */
import {
  type CancelOrder,
  type CheckOrder,
  type OrderFilledFields,
  type ReplaceOrder,
  type SubmitOrder,
  type EngageKillSwitch,
  type FillFields,
  type KillSwitchEngaged,
  instrumentSpec,
  type RegisterInstrument,
  type ReleaseKillSwitch,
  type SetRiskLimits,
  type StartOfDay,
  asQuantity,
} from "../domain/index.ts";
import { subjects, type Forward, type ReplyError, errorMessage } from "../contract/index.ts";
import { alertEvents } from "./alerts.ts";
import { DenyReason } from "./deny-reason.ts";
import { evolve } from "./evolve.ts";
import { parseRiskLimits } from "./limits.ts";
import type { RegimeTable } from "./regime-caution.ts";
import { averagePrice, type MarkTable, type Totals, totals } from "./portfolio.ts";
import { checkOrder, differingTerm } from "./pre-trade.ts";
import type { RiskBook, RiskBookEvent } from "./state.ts";

export type BookReply = { type: "reply"; ok: true; result?: unknown } | { type: "reply"; ok: false; error: ReplyError };

export interface BookDecision {
  book: RiskBook;
  events: RiskBookEvent[];
  reply?: BookReply;
  /** messages to send on, and forwards to order entities (awaited before the reply unless detached) */
  publish?: (Publish | Forward)[];
}

export interface Publish {
  type: "publish";
  subject: string;
  message: { type: string; [field: string]: unknown };
}

/** Collects events and applies each as it is decided. */
class Decider {
  events: RiskBookEvent[] = [];
  constructor(public book: RiskBook) {}
  record(e: RiskBookEvent): void {
    this.events.push(e);
    this.book = evolve(this.book, e);
  }
  done(reply?: BookReply, publish?: (Publish | Forward)[]): BookDecision {
    const d: BookDecision = { book: this.book, events: this.events };
    if (reply) d.reply = reply;
    if (publish) d.publish = publish;
    return d;
  }
}

const ok = (result?: unknown): BookReply => (result === undefined ? { type: "reply", ok: true } : { type: "reply", ok: true, result });
const fail = (code: string, message: string): BookReply => ({ type: "reply", ok: false, error: { code, message } });

/** New high-water mark and alert level changes after anything that moved equity, exposure or limits. */
function reassess(d: Decider, marks: MarkTable, nowUs: number, known?: Totals): void {
  const t = known ?? totals(d.book.portfolio, d.book.instruments, marks, d.book.markSource);
  if (t.equity > d.book.highWaterMark && t.equity - d.book.highWaterMark >= d.book.hwmStep) {
    d.record({ type: "HighWaterMarkRaised", equity: t.equity, tsEvent: nowUs, tsInit: nowUs });
  }
  for (const e of alertEvents(d.book, t, nowUs)) d.record(e);
}

type CheckOrderCommand = Omit<CheckOrder, "tsEvent" | "tsInit"> & Partial<Pick<CheckOrder, "tsEvent" | "tsInit">>;

/**
 * The pre-trade check as a command. An approval journals OrderApproved, which reserves the order's quantity in
 * `pending` until it fills or closes: the actor handles one command at a time, so a second order checked while
 * the first is open sees the first's reservation, and two orders cannot both pass a limit only one fits.
 * A retried check of an order already approved with the same instrument, side and quantity is approved again
 * without a new event (request/reply is at-least-once); so is a SubmitOrder for an order that has since closed,
 * which its order entity then answers. A check of a closed order's id is refused.
 */
export function decideCheckOrder(
  book: RiskBook,
  cmd: CheckOrderCommand,
  marks: MarkTable,
  nowUs: number,
  forwarded?: Record<string, unknown>,
  regimes?: RegimeTable,
): BookDecision {
  const d = new Decider(book);
  const prior = book.pending[cmd.clientOrderId];
  if (prior && differingTerm(prior, cmd) === "none") {
    return d.done(ok({ approved: true, clientOrderId: cmd.clientOrderId, retried: true }));
  }
  // an order sent again after it closed (a retry that outlived it, or a replay) reserves nothing: a SubmitOrder goes
  // on to its order entity, which answers as the order it is, and a bare check is refused
  if (book.closedOrders?.includes(cmd.clientOrderId)) {
    if (forwarded) return d.done(ok({ approved: true, clientOrderId: cmd.clientOrderId, retried: true, closed: true }));
    return d.done(
      fail(DenyReason.DuplicateOrder, `clientOrderId ${cmd.clientOrderId} names an order that was approved here and has closed`),
    );
  }
  const r = checkOrder(book, book.limits, cmd, marks, nowUs, regimes);
  const base = {
    clientOrderId: cmd.clientOrderId,
    instrument: cmd.instrument,
    side: cmd.side,
    quantity: cmd.quantity,
    strategy: cmd.strategy,
  };
  if (r.ok) {
    d.record({
      type: "OrderApproved",
      ...base,
      price: r.price,
      ...(cmd.positionSide ? { positionSide: cmd.positionSide } : {}),
      ...(forwarded ? { order: forwarded } : {}),
      tsEvent: nowUs,
      tsInit: nowUs,
    });
    return d.done(ok({ approved: true, clientOrderId: cmd.clientOrderId }));
  }
  d.record({
    type: "OrderDenied",
    ...base,
    reason: r.reason,
    message: r.message,
    limit: r.limit,
    value: r.value,
    tsEvent: nowUs,
    tsInit: nowUs,
  });
  return d.done(fail(r.reason, r.message));
}

/**
 * A fill (OrderFilled from the order actor, or ApplyFill). Redelivered fills (same fillId) change nothing. A fill
 * of an instrument the book does not know is refused: without its multiplier the book cannot value it, and the
 * runtime dead-letters it for an operator rather than guessing.
 */
export function decideFill(book: RiskBook, fill: FillFields, marks: MarkTable, nowUs: number): BookDecision {
  const d = new Decider(book);
  if (book.recentFills.includes(fill.fillId)) return d.done(ok({ applied: false, duplicate: true }));
  if (!book.instruments[fill.instrument]) {
    return d.done(
      fail(
        DenyReason.UnknownInstrument,
        `fill ${fill.fillId}: book ${book.book} has no instrument ${fill.instrument}; RegisterInstrument first`,
      ),
    );
  }
  const { positionSide, clientOrderId, leavesQty, strategy, ...rest } = fill;
  d.record({
    type: "FillApplied",
    fillId: rest.fillId,
    instrument: rest.instrument,
    side: rest.side,
    quantity: rest.quantity,
    price: rest.price,
    fee: rest.fee ?? 0n,
    ...(clientOrderId !== undefined ? { clientOrderId } : {}),
    ...(leavesQty !== undefined ? { leavesQty } : {}),
    ...(positionSide !== undefined ? { positionSide } : {}),
    ...(strategy !== undefined ? { strategy } : {}),
    tsEvent: rest.tsEvent,
    tsInit: nowUs,
  });
  for (const leg of ["NET", "LONG", "SHORT"] as const) {
    const key = leg === "NET" ? fill.instrument : `${fill.instrument}|${leg}`;
    const p = d.book.portfolio.positions[key];
    if (!p || p === book.portfolio.positions[key]) continue;
    const multiplier = d.book.instruments[fill.instrument]!.multiplier;
    d.record({
      type: "PositionChanged",
      instrument: p.instrument,
      leg: p.leg,
      quantity: p.quantity,
      avgPrice: averagePrice(p, multiplier),
      cost: p.cost,
      realisedPnl: p.realisedPnl,
      tsEvent: rest.tsEvent,
      tsInit: nowUs,
    });
  }
  reassess(d, marks, nowUs);
  return d.done(ok({ applied: true }));
}

/** An order closed (canceled, rejected, expired): release what it still reserved. */
export function decideOrderClosed(book: RiskBook, clientOrderId: string, cause: string, nowUs: number): BookDecision {
  const d = new Decider(book);
  if (book.pending[clientOrderId]) d.record({ type: "OrderReleased", clientOrderId, cause, tsEvent: nowUs, tsInit: nowUs });
  return d.done();
}

/**
 * After the marks moved (the caller updates the mark table, and may pass the totals it keeps incrementally):
 * only level changes and new highs are journaled.
 */
export function decideMark(book: RiskBook, marks: MarkTable, nowUs: number, known?: Totals): BookDecision {
  const d = new Decider(book);
  reassess(d, marks, nowUs, known);
  return d.done();
}

const sameLimits = (a: unknown, b: unknown): boolean => {
  const text = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
  return text(a) === text(b);
};

export function decideSetRiskLimits(
  book: RiskBook,
  cmd: Pick<SetRiskLimits, "limits" | "by" | "reason">,
  marks: MarkTable,
  nowUs: number,
): BookDecision {
  const d = new Decider(book);
  let limits: ReturnType<typeof parseRiskLimits>;
  try {
    limits = parseRiskLimits(cmd.limits);
  } catch (err) {
    return d.done(fail("INVALID_LIMITS", errorMessage(err)));
  }
  // Re-applying the same limits (a configuration replayed on placement) is not a change: nothing to audit.
  // Both answers carry the limits in force, so a caller (the gateway's SetLimits) shows what the book holds.
  if (sameLimits(book.limits, limits)) return d.done(ok(book.limits));
  d.record({
    type: "RiskLimitsChanged",
    by: cmd.by,
    ...(cmd.reason ? { reason: cmd.reason } : {}),
    old: book.limits,
    new: limits,
    tsEvent: nowUs,
    tsInit: nowUs,
  });
  reassess(d, marks, nowUs);
  return d.done(ok(d.book.limits));
}

const engagedSwitch = (book: RiskBook, scope: string, strategy: string | undefined) =>
  scope === "GLOBAL"
    ? book.killSwitch.global
    : scope === "STRATEGY"
      ? (book.killSwitch.strategies?.[strategy ?? ""] ?? null)
      : book.killSwitch.book;

/**
 * Engaging a kill switch journals it and cancels the open orders in its scope (the strategy's, or all of the
 * book's): new orders are refused, working ones withdrawn. Cancels go to the order entities, asked again until each
 * answers (a cancel lost with a nats-server would leave its order working), and detached: the switch is answered
 * at once, not once every order has taken its cancel.
 */
export function decideEngageKillSwitch(
  book: RiskBook,
  cmd: Pick<EngageKillSwitch, "scope" | "by" | "reason" | "strategy">,
  nowUs: number,
  decidedUs = nowUs,
): BookDecision {
  const d = new Decider(book);
  const scope = cmd.scope ?? "BOOK";
  const engaged = engagedSwitch(book, scope, cmd.strategy);
  const scoped = scope === "STRATEGY" ? { strategy: cmd.strategy } : scope === "GLOBAL" ? { book: book.book } : {};
  if (!engaged)
    d.record({ type: "KillSwitchEngaged", scope, ...scoped, by: cmd.by, reason: cmd.reason, tsEvent: decidedUs, tsInit: nowUs });
  const cancels = Object.values(book.pending)
    .filter((o) => scope !== "STRATEGY" || o.strategy === cmd.strategy)
    .map((o) => killSwitchCancel(o.clientOrderId, nowUs));
  return d.done(ok({ engaged: true, already: engaged !== null, canceled: cancels.length }), cancels);
}

export function decideReleaseKillSwitch(
  book: RiskBook,
  cmd: Pick<ReleaseKillSwitch, "scope" | "by" | "reason" | "strategy">,
  nowUs: number,
  decidedUs = nowUs,
): BookDecision {
  const d = new Decider(book);
  const scope = cmd.scope ?? "BOOK";
  const engaged = engagedSwitch(book, scope, cmd.strategy);
  const scoped = scope === "STRATEGY" ? { strategy: cmd.strategy } : scope === "GLOBAL" ? { book: book.book } : {};
  if (engaged)
    d.record({
      type: "KillSwitchReleased",
      scope,
      ...scoped,
      by: cmd.by,
      ...(cmd.reason ? { reason: cmd.reason } : {}),
      tsEvent: decidedUs,
      tsInit: nowUs,
    });
  return d.done(ok({ engaged: false, already: engaged === null }));
}

/**
 * Another book's global kill switch engaged or released (its journaled event naming that book, heard on
 * am.evt.risk-book.*.KillSwitchEngaged|Released, live or on catch-up): this
 * book follows and journals it once, stamped with the operator's decision time. News older than this book's own
 * last change of the global switch is stale (its own event coming back, a release that overtook an engage, an
 * event read again on catch-up) and changes nothing, so the books agree on the latest decision.
 */
export function decideGlobalKillSwitchHeard(
  book: RiskBook,
  e: Pick<KillSwitchEngaged, "scope" | "by" | "tsEvent"> & { type: "KillSwitchEngaged" | "KillSwitchReleased"; reason?: string },
  nowUs: number,
): BookDecision | undefined {
  if (e.scope !== "GLOBAL" || e.tsEvent <= (book.killSwitch.globalChangedUs ?? Number.NEGATIVE_INFINITY)) return undefined;
  const cmd = { scope: "GLOBAL" as const, by: e.by, reason: e.reason ?? "global kill switch" };
  const d =
    e.type === "KillSwitchEngaged"
      ? decideEngageKillSwitch(book, cmd, nowUs, e.tsEvent)
      : decideReleaseKillSwitch(book, cmd, nowUs, e.tsEvent);
  // heard, not asked: nobody waits for an answer
  const { reply: _heard, ...rest } = d;
  return rest;
}

export function decideStartOfDay(book: RiskBook, cmd: Pick<StartOfDay, "tradingDay">, marks: MarkTable, nowUs: number): BookDecision {
  const d = new Decider(book);
  const { equity } = totals(book.portfolio, book.instruments, marks, book.markSource);
  d.record({ type: "DayStarted", tradingDay: cmd.tradingDay, equity, tsEvent: nowUs, tsInit: nowUs });
  reassess(d, marks, nowUs);
  return d.done(ok({ tradingDay: cmd.tradingDay, equity }));
}

export function decideRegisterInstrument(book: RiskBook, cmd: Omit<RegisterInstrument, "tsEvent" | "tsInit">, nowUs: number): BookDecision {
  const d = new Decider(book);
  const r = instrumentSpec.safeParse(cmd);
  if (!r.success) return d.done(fail("INVALID_INSTRUMENT", r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")));
  d.record({ type: "InstrumentRegistered", ...r.data, tsEvent: nowUs, tsInit: nowUs });
  return d.done(ok());
}

/** A command to an order entity, asked again until it answers; `key` tells its order's commands apart in the outbox. */
const toOrderEntity = (key: string, clientOrderId: string, message: Forward["message"], detached?: true): Forward => ({
  type: "forward",
  key,
  subject: subjects.cmd("order", clientOrderId),
  message,
  ...(detached ? { detached } : {}),
});

const killSwitchCancel = (clientOrderId: string, nowUs: number): Forward =>
  toOrderEntity(`cancel:${clientOrderId}`, clientOrderId, { type: "CancelOrder", clientOrderId, tsEvent: nowUs, tsInit: nowUs }, true);

const forwardOrder = (clientOrderId: string, order: Record<string, unknown>): Forward =>
  toOrderEntity(clientOrderId, clientOrderId, { ...order, type: "SubmitOrder" });

/**
 * A strategy's SubmitOrder sent to the book (am.cmd.risk-book.<book>): the pre-trade check, and on approval the
 * order is forwarded to its order entity (am.cmd.order.<clientOrderId>); the book answers once the order has
 * journaled it, so "accepted" means the order exists. A retried, already approved order is forwarded again: the
 * order entity is keyed by clientOrderId and answers the duplicate as the order it already is.
 */
export function decideSubmitOrder(
  book: RiskBook,
  cmd: Omit<SubmitOrder, "tsEvent" | "tsInit"> & Partial<Pick<SubmitOrder, "tsEvent" | "tsInit">>,
  marks: MarkTable,
  nowUs: number,
  regimes?: RegimeTable,
): BookDecision {
  const { type: _t, nowUs: _n, redelivered: _r, ...order } = cmd as typeof cmd & { type?: string; nowUs?: number };
  const d = decideCheckOrder(book, cmd, marks, nowUs, order, regimes);
  if (!d.reply?.ok) return d;
  return { ...d, publish: [forwardOrder(cmd.clientOrderId, order)] };
}

/**
 * Approved orders whose SubmitOrder may not have reached their order entity (a forward in flight when the book's
 * process died): forwarded again on restore, marked as redelivered, which an existing order answers as done.
 */
export function approvedOrderForwards(book: RiskBook): Forward[] {
  return Object.values(book.pending).flatMap((p) => (p.order ? [forwardOrder(p.clientOrderId, { ...p.order, redelivered: true })] : []));
}

/**
 * The cancels an engaged kill switch still owes after a restart: every open order in its scope is canceled again (an
 * order that has taken its cancel answers the repeat as pending or closed, which ends it).
 */
export function killSwitchCancels(book: RiskBook): Forward[] {
  const k = book.killSwitch;
  return Object.values(book.pending).flatMap((o) => {
    const engaged = k.global ?? k.book ?? k.strategies?.[o.strategy];
    return engaged ? [killSwitchCancel(o.clientOrderId, engaged.atUs)] : [];
  });
}

/**
 * Cancels reduce risk: always forwarded, even under a kill switch; the reservation ends with the order's close. The
 * book answers once the order took the cancel (or refused it: an order that is gone), so a requester that asks again
 * until answered knows the cancel arrived.
 */
export function decideCancelOrder(
  book: RiskBook,
  cmd: Omit<CancelOrder, "tsEvent" | "tsInit"> & Partial<Pick<CancelOrder, "tsEvent" | "tsInit">>,
): BookDecision {
  const { type: _t, nowUs: _n, ...cancel } = cmd as typeof cmd & { type?: string; nowUs?: number };
  const forward = toOrderEntity(`cancel:${cmd.clientOrderId}`, cmd.clientOrderId, { ...cancel, type: "CancelOrder" });
  return new Decider(book).done(ok({ forwarded: true }), [forward]);
}

/**
 * A replace is checked as the order it becomes: its own reservation is taken out, the new quantity less what has
 * filled (at the new price, or the reserved one) is checked, and on approval OrderReplaceApproved moves the
 * reservation and the replace is forwarded to the order entity: the requester is answered once the order has taken
 * it (or refused it: one not yet acknowledged by its venue, a cancel pending).
 */
export function decideReplaceOrder(
  book: RiskBook,
  cmd: Omit<ReplaceOrder, "tsEvent" | "tsInit"> & Partial<Pick<ReplaceOrder, "tsEvent" | "tsInit">>,
  marks: MarkTable,
  nowUs: number,
  regimes?: RegimeTable,
): BookDecision {
  const d = new Decider(book);
  const prior = book.pending[cmd.clientOrderId];
  if (!prior)
    return d.done(
      fail(
        DenyReason.UnknownOrder,
        `${DenyReason.UnknownOrder}: book ${book.book} has no open approved order ${cmd.clientOrderId} to replace`,
      ),
    );
  const quantity = cmd.quantity ?? prior.quantity;
  const remaining = quantity - (prior.quantity - prior.remaining);
  const { [prior.clientOrderId]: _own, ...others } = book.pending;
  const without = { ...book, pending: others };
  const r =
    remaining > 0
      ? checkOrder(
          without,
          book.limits,
          {
            clientOrderId: prior.clientOrderId,
            instrument: prior.instrument,
            side: prior.side,
            orderType: "LIMIT",
            quantity: asQuantity(remaining),
            price: cmd.price ?? prior.price,
            strategy: prior.strategy,
          },
          marks,
          nowUs,
          regimes,
        )
      : ({ ok: true, price: cmd.price ?? prior.price } as const);
  const base = { clientOrderId: prior.clientOrderId, instrument: prior.instrument, side: prior.side, quantity, strategy: prior.strategy };
  if (!r.ok) {
    d.record({
      type: "OrderDenied",
      ...base,
      reason: r.reason,
      message: r.message,
      limit: r.limit,
      value: r.value,
      tsEvent: nowUs,
      tsInit: nowUs,
    });
    return d.done(fail(r.reason, r.message));
  }
  d.record({
    type: "OrderReplaceApproved",
    clientOrderId: prior.clientOrderId,
    quantity,
    price: r.price,
    strategy: prior.strategy,
    tsEvent: nowUs,
    tsInit: nowUs,
  });
  const { type: _t, nowUs: _n, ...replace } = cmd as typeof cmd & { type?: string; nowUs?: number };
  // keyed by its terms: a second replace with other terms is sent too (and refused while the first is pending)
  const key = `replace:${prior.clientOrderId}:${quantity}:${r.price}:${cmd.stopPrice ?? ""}`;
  return d.done(ok({ approved: true, clientOrderId: prior.clientOrderId }), [
    toOrderEntity(key, prior.clientOrderId, { ...replace, type: "ReplaceOrder" }),
  ]);
}

/** The order actor's OrderFilled in the book's fill shape; the instrument comes from the order's reservation. */
export function fillFromOrderEvent(book: RiskBook, e: OrderFilledFields): FillFields | undefined {
  const prior = book.pending[e.clientOrderId];
  const instrument = e.instrument ?? prior?.instrument;
  if (!instrument) return undefined;
  const fill: FillFields = {
    fillId: e.execId,
    clientOrderId: e.clientOrderId,
    instrument,
    side: e.side,
    quantity: e.lastQty,
    price: e.lastPx,
    fee: e.fee,
    tsEvent: e.tsEvent,
    tsInit: e.tsInit,
  };
  if (e.leavesQty !== undefined) fill.leavesQty = e.leavesQty;
  if (prior?.positionSide) fill.positionSide = prior.positionSide;
  if (prior) fill.strategy = prior.strategy;
  return fill;
}

/**
 * GetStrategyView: what the book holds of one strategy (positions from its fills, its approved open orders), sent
 * to the strategy's command subject, where a starting strategy reconciles with it; the reply carries it too.
 */
export function decideStrategyView(book: RiskBook, strategy: string, nowUs: number): BookDecision {
  const orders = Object.values(book.pending)
    .filter((o) => o.strategy === strategy)
    .map((o) => ({
      clientOrderId: o.clientOrderId,
      instrument: o.instrument,
      side: o.side,
      ...(typeof o.order?.orderType === "string" ? { orderType: o.order.orderType } : {}),
      quantity: o.quantity,
      remaining: o.remaining,
      ...(typeof o.order?.price === "number" ? { price: o.order.price } : {}),
    }));
  const positions = book.strategyPositions && { positions: { ...book.strategyPositions[strategy] } };
  const view = { type: "StrategyBookView", book: book.book, strategy, ...positions, orders, tsEvent: nowUs, tsInit: nowUs };
  return new Decider(book).done(ok(view), [{ type: "publish", subject: subjects.cmd("strategy", strategy), message: view }]);
}
