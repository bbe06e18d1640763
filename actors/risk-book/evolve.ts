/**
 * The one place the journaled state changes: `evolve` folds a domain event into the book, so live processing and
 * replay run the same code and a replayed journal rebuilds an identical book. It returns a new book object, copied
 * on write, except for the collections that grow with the order flow: `pending` (one entry per open order), the
 * ids of closed orders and each strategy's `approvals` window are updated in place (pending through setPending,
 * which keeps the reservations the pre-trade check reads), as the exchange's order book is, because a copy per
 * approval cost O(open orders), most of a busy book's CPU. The book is the actor's own: nothing reads an earlier version of it
 * after evolve, so the in-place update is not observable.
 */
import { SCALE, asQuantity, subtractQuantity } from "../domain/index.ts";
import { applyFill } from "./portfolio.ts";
import { setPending } from "./reservations.ts";
import { type BookConfig, openBook, type RiskBook, type RiskBookEvent } from "./state.ts";

export function evolve(book: RiskBook, e: RiskBookEvent): RiskBook {
  switch (e.type) {
    case "OrderApproved": {
      setPending(book.pending, e.clientOrderId, {
        clientOrderId: e.clientOrderId,
        instrument: e.instrument,
        side: e.side,
        quantity: e.quantity,
        remaining: e.quantity,
        price: e.price,
        strategy: e.strategy,
        ...(e.positionSide ? { positionSide: e.positionSide } : {}),
        ...(e.order ? { order: e.order } : {}),
      });
      return countApproval({ ...book }, e.strategy, e.tsEvent);
    }
    case "OrderReplaceApproved": {
      const prior = book.pending[e.clientOrderId];
      if (!prior) return book;
      const filled = prior.quantity - prior.remaining;
      setPending(book.pending, e.clientOrderId, {
        ...prior,
        quantity: e.quantity,
        remaining: asQuantity(Math.max(0, e.quantity - filled)),
        price: e.price,
      });
      return countApproval({ ...book }, e.strategy, e.tsEvent);
    }
    case "OrderDenied":
    case "PositionChanged":
      // Audit and information only: a denial changes nothing; FillApplied carries the position change.
      return book;
    case "OrderReleased": {
      if (!book.pending[e.clientOrderId]) return book;
      return closeOrder({ ...book }, e.clientOrderId);
    }
    case "FillApplied": {
      if (book.recentFills.includes(e.fillId)) return book;
      const multiplier = book.instruments[e.instrument]?.multiplier ?? SCALE;
      const { portfolio } = applyFill(book.portfolio, e, multiplier);
      const order = e.clientOrderId ? book.pending[e.clientOrderId] : undefined;
      const recentFills = [...book.recentFills, e.fillId];
      if (recentFills.length > book.fillMemory) recentFills.splice(0, recentFills.length - book.fillMemory);
      const next = { ...book, portfolio, recentFills, ...strategyPositionAfter(book, e) };
      if (!order) return next;
      const remaining = subtractQuantity(order.remaining, e.quantity);
      if (remaining <= 0 || e.leavesQty === 0) return closeOrder(next, order.clientOrderId);
      setPending(book.pending, order.clientOrderId, { ...order, remaining });
      return next;
    }
    case "RiskLimitsChanged":
      return { ...book, limits: e.new };
    case "LimitWarning":
    case "LimitBreached":
    case "LimitCleared":
      return { ...book, alertLevels: { ...book.alertLevels, [e.limit]: e.level } };
    case "KillSwitchEngaged": {
      const state = { by: e.by, reason: e.reason, atUs: e.tsEvent };
      if (e.scope === "STRATEGY")
        return { ...book, killSwitch: { ...book.killSwitch, strategies: { ...book.killSwitch.strategies, [e.strategy ?? ""]: state } } };
      if (e.scope === "GLOBAL") return { ...book, killSwitch: { ...book.killSwitch, global: state, globalChangedUs: e.tsEvent } };
      return { ...book, killSwitch: { ...book.killSwitch, book: state } };
    }
    case "KillSwitchReleased": {
      if (e.scope === "STRATEGY") {
        const { [e.strategy ?? ""]: _released, ...rest } = book.killSwitch.strategies ?? {};
        return { ...book, killSwitch: { ...book.killSwitch, strategies: rest } };
      }
      if (e.scope === "GLOBAL") return { ...book, killSwitch: { ...book.killSwitch, global: null, globalChangedUs: e.tsEvent } };
      return { ...book, killSwitch: { ...book.killSwitch, book: null } };
    }
    case "HighWaterMarkRaised":
      return e.equity > book.highWaterMark ? { ...book, highWaterMark: e.equity } : book;
    case "DayStarted":
      return { ...book, dayStartEquity: e.equity, tradingDay: e.tradingDay };
    case "InstrumentRegistered": {
      const spec = { instrument: e.instrument, multiplier: e.multiplier, sector: e.sector, assetClass: e.assetClass };
      return { ...book, instruments: { ...book.instruments, [e.instrument]: spec } };
    }
  }
}

/** A fill of a strategy's order moves that strategy's net position (kept by books opened since they are). */
function strategyPositionAfter(book: RiskBook, e: Extract<RiskBookEvent, { type: "FillApplied" }>): Partial<RiskBook> {
  if (e.strategy === undefined || book.strategyPositions === undefined) return {};
  const held = book.strategyPositions[e.strategy] ?? {};
  const quantity = asQuantity((held[e.instrument] ?? 0) + (e.side === "BUY" ? e.quantity : -e.quantity));
  return { strategyPositions: { ...book.strategyPositions, [e.strategy]: { ...held, [e.instrument]: quantity } } };
}

/**
 * Records an approval for the order-rate window, in place (see above): times are oldest first, so those that left
 * the window are a prefix; never more than maxOrders are kept.
 */
function countApproval(book: RiskBook, strategy: string, atUs: number): RiskBook {
  const rate = book.limits.orderRate;
  if (!rate) return book;
  const kept = book.approvals[strategy] ?? [];
  let expired = 0;
  while (expired < kept.length && kept[expired]! <= atUs - rate.windowUs) expired++;
  kept.push(atUs);
  const drop = Math.max(expired, kept.length - rate.maxOrders);
  if (drop > 0) kept.splice(0, drop);
  book.approvals[strategy] = kept;
  return book;
}

/** Rebuilds a book from its journal (the same config it was opened with). */
export function replay(events: Iterable<RiskBookEvent>, config: BookConfig): RiskBook {
  let book = openBook(config);
  for (const e of events) book = evolve(book, e);
  return book;
}

/** An approved order leaves `pending` and is remembered as closed (the last `fillMemory` of them). */
function closeOrder(book: RiskBook, clientOrderId: string): RiskBook {
  setPending(book.pending, clientOrderId, undefined);
  book.closedOrders ??= [];
  book.closedOrders.push(clientOrderId);
  if (book.closedOrders.length > book.fillMemory) book.closedOrders.splice(0, book.closedOrders.length - book.fillMemory);
  return book;
}
