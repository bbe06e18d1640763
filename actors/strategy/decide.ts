/** The session is mutable on purpose: it holds the strategy's live objects (indicators, ledger), changed in place. */
import type { StrategyOrderEvent } from "../domain/index.ts";
import type { Delivered, Emitted } from "../contract/index.ts";
import { riskBookSubject } from "./order-intents.ts";
import type { MarketDataEvent, StrategySession } from "./session.ts";
import type { StrategyEvent } from "./state.ts";

/*
 * What a strategy does with each input: market data and order events go to the session (which turns the strategy's
 * intents into order commands when trading), commands answer with a reply and the session's cancels. The machine
 * decides only which of these apply in which lifecycle state.
 */

const orderEventTypes = ["OrderAccepted", "OrderFilled", "OrderCanceled", "OrderRejected", "OrderExpired"] as const;
const marketDataTypes = ["Quote", "Trade", "Bar", "BarFactors", "ModelForecast", "RegimeEstimated"] as const;

const isOrderEvent = (e: StrategyEvent): e is StrategyOrderEvent & Delivered => (orderEventTypes as readonly string[]).includes(e.type);
const isMarketData = (e: StrategyEvent): e is MarketDataEvent & Delivered => (marketDataTypes as readonly string[]).includes(e.type);

export const Trading = { Always: 0, Never: 1, WhenPrimed: 2 } as const;
export type Trading = (typeof Trading)[keyof typeof Trading];

/** Hands data or an order event to the session; `trading` decides whether intents become orders. */
export function feed(session: StrategySession, event: StrategyEvent, trading: Trading): Emitted[] {
  const out: Emitted[] = [];
  session.approvals.expire(event.nowUs, out);
  if (isMarketData(event)) {
    session.onMarketData(event, event.nowUs, trading === Trading.WhenPrimed ? "ifReady" : trading === Trading.Always, out);
  } else if (isOrderEvent(event)) {
    session.onOrderEvent(event, event.nowUs, trading === Trading.Always, out);
  } else if (event.type === "OrderDenied") {
    // The risk book refused the order before it existed at a venue: for the strategy that is a rejection.
    const d = event;
    const rejection = {
      type: "OrderRejected" as const,
      clientOrderId: d.clientOrderId,
      ...(d.reason ? { reason: d.reason } : {}),
      tsEvent: d.tsEvent,
      tsInit: d.tsInit,
    };
    session.onOrderEvent(rejection, d.nowUs, trading === Trading.Always, out);
  }
  return out;
}

export const ok: Emitted = { type: "reply", ok: true };
export const rejected = (code: string, message: string): Emitted => ({ type: "reply", ok: false, error: { code, message } });

/** StopStrategy (or a stop for another reason): the open orders are canceled unless the command says not to. */
export function decideStop(session: StrategySession, event: StrategyEvent): Emitted[] {
  const out: Emitted[] = [];
  const cancelOpen = event.type === "StopStrategy" ? event.cancelOpenOrders !== false : true;
  session.stop(event.nowUs, cancelOpen, out);
  out.push(ok);
  return out;
}

/** PauseStrategy: the strategy keeps its data; its open orders are canceled only when asked. */
export function decidePause(session: StrategySession, event: StrategyEvent): Emitted[] {
  const out: Emitted[] = [];
  if (event.type === "PauseStrategy" && event.cancelOpenOrders === true) session.cancelOpenOrders(event.nowUs, out);
  else session.seen(event.nowUs);
  out.push(ok);
  return out;
}

/** SetStrategyParameters: refused with the parameter's error, or applied, announced under who sent it and answered. */
export function decideParameters(session: StrategySession, event: StrategyEvent & { type: "SetStrategyParameters" }): Emitted[] {
  const r = session.setParameters(event.parameters, event.nowUs);
  if (!r.ok) return [{ type: "reply", ok: false, error: r.error }];
  const now = event.nowUs;
  const parameters = r.params as Record<string, unknown>;
  return [
    {
      type: "domain",
      event: {
        type: "StrategyParametersChanged",
        strategy: session.config.strategyId,
        parameters,
        by: event.by,
        tsEvent: now,
        tsInit: now,
      },
    },
    { type: "reply", ok: true, result: { parameters } },
  ];
}

/** Asks the book what it holds of this strategy (retried by the runtime until the book answers). */
export function decideAskBook(session: StrategySession, nowUs: number): Emitted[] {
  session.askedBook(nowUs);
  const { strategyId, book } = session.config;
  const now = session.lastNowUs;
  return [
    {
      type: "forward",
      key: `view:${book}`,
      subject: riskBookSubject(book),
      message: { type: "GetStrategyView", strategy: strategyId, tsEvent: now, tsInit: now },
    },
  ];
}

/** The book's view: reconciled in every lifecycle state; each position that differed is announced. */
export function decideReconcile(session: StrategySession, event: StrategyEvent): Emitted[] {
  if (event.type !== "StrategyBookView") return [];
  if (event.strategy !== session.config.strategyId || event.book !== session.config.book) return [];
  return session.reconcile(event, event.nowUs).map((e) => ({ type: "domain", event: e }));
}

/** ApproveProposal: the proposal's targets go to the risk book as orders; the answer lists them. */
export function decideApproveProposal(session: StrategySession, event: StrategyEvent): Emitted[] {
  if (event.type !== "ApproveProposal") return [];
  session.seen(event.nowUs);
  const out: Emitted[] = [];
  const r = session.approvals.approve(event.proposalId, event.by, event.reason, event.nowUs, out);
  out.push(
    "code" in r
      ? { type: "reply", ok: false, error: r }
      : { type: "reply", ok: true, result: { proposalId: event.proposalId, orders: r.orders } },
  );
  return out;
}

/** RejectProposal: the proposal is dropped, nothing is traded. */
export function decideRejectProposal(session: StrategySession, event: StrategyEvent): Emitted[] {
  if (event.type !== "RejectProposal") return [];
  session.seen(event.nowUs);
  const out: Emitted[] = [];
  const error = session.approvals.reject(event.proposalId, event.by, event.reason, event.nowUs, out);
  out.push(error ? { type: "reply", ok: false, error } : { type: "reply", ok: true, result: { proposalId: event.proposalId } });
  return out;
}

/** GetProposals: the pending proposal (after dropping it if its time has come). */
export function decideGetProposals(session: StrategySession, event: StrategyEvent): Emitted[] {
  const out: Emitted[] = [];
  session.approvals.expire(event.nowUs, out);
  const p = session.approvals.pending;
  const { strategyId, book } = session.config;
  out.push({
    type: "reply",
    ok: true,
    result: {
      strategy: strategyId,
      book,
      proposals: p ? [{ proposalId: p.proposalId, createdUs: p.createdUs, expiresUs: p.expiresUs, proposal: p.proposal }] : [],
    },
  });
  return out;
}
