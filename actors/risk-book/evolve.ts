/**
 * The one place the journaled state changes: `evolve` folds a domain event into the book, copy-on-write, so
 * live processing and replay run the same code and a replayed journal rebuilds an identical book.
 */
import { SCALE, asQuantity, subtractQuantity } from "../domain/index.ts";
import { applyFill } from "./portfolio.ts";
import { type BookConfig, openBook, type RiskBook, type RiskBookEvent } from "./state.ts";

export function evolve(book: RiskBook, e: RiskBookEvent): RiskBook {
  switch (e.type) {
    case "OrderApproved": {
      const pending = {
        ...book.pending,
        [e.clientOrderId]: {
          clientOrderId: e.clientOrderId,
          instrument: e.instrument,
          side: e.side,
          quantity: e.quantity,
          remaining: e.quantity,
          price: e.price,
          strategy: e.strategy,
          ...(e.positionSide ? { positionSide: e.positionSide } : {}),
          ...(e.order ? { order: e.order } : {}),
        },
      };
      return countApproval({ ...book, pending }, e.strategy, e.tsEvent);
    }
    case "OrderReplaceApproved": {
      const prior = book.pending[e.clientOrderId];
      if (!prior) return book;
      const filled = prior.quantity - prior.remaining;
      const order = { ...prior, quantity: e.quantity, remaining: asQuantity(Math.max(0, e.quantity - filled)), price: e.price };
      return countApproval({ ...book, pending: { ...book.pending, [e.clientOrderId]: order } }, e.strategy, e.tsEvent);
    }
    case "OrderDenied":
    case "PositionChanged":
      // Audit and information only: a denial changes nothing; FillApplied carries the position change.
      return book;
    case "OrderReleased": {
      if (!book.pending[e.clientOrderId]) return book;
      const { [e.clientOrderId]: _released, ...pending } = book.pending;
      return { ...book, pending };
    }
    case "FillApplied": {
      if (book.recentFills.includes(e.fillId)) return book;
      const multiplier = book.instruments[e.instrument]?.multiplier ?? SCALE;
      const { portfolio } = applyFill(book.portfolio, e, multiplier);
      let pending = book.pending;
      const order = e.clientOrderId ? pending[e.clientOrderId] : undefined;
      if (order) {
        const remaining = subtractQuantity(order.remaining, e.quantity);
        if (remaining <= 0 || e.leavesQty === 0) {
          const { [order.clientOrderId]: _done, ...rest } = pending;
          pending = rest;
        } else {
          pending = { ...pending, [order.clientOrderId]: { ...order, remaining } };
        }
      }
      const recentFills = [...book.recentFills, e.fillId];
      if (recentFills.length > book.fillMemory) recentFills.splice(0, recentFills.length - book.fillMemory);
      return { ...book, portfolio, pending, recentFills };
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
      return { ...book, killSwitch: { ...book.killSwitch, [e.scope === "GLOBAL" ? "global" : "book"]: state } };
    }
    case "KillSwitchReleased": {
      if (e.scope === "STRATEGY") {
        const { [e.strategy ?? ""]: _released, ...rest } = book.killSwitch.strategies ?? {};
        return { ...book, killSwitch: { ...book.killSwitch, strategies: rest } };
      }
      return { ...book, killSwitch: { ...book.killSwitch, [e.scope === "GLOBAL" ? "global" : "book"]: null } };
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

/** Records an approval for the order-rate window: only those inside it count, never more than maxOrders. */
function countApproval(book: RiskBook, strategy: string, atUs: number): RiskBook {
  const rate = book.limits.orderRate;
  if (!rate) return book;
  const kept = (book.approvals[strategy] ?? []).filter((t) => t > atUs - rate.windowUs);
  kept.push(atUs);
  if (kept.length > rate.maxOrders) kept.splice(0, kept.length - rate.maxOrders);
  return { ...book, approvals: { ...book.approvals, [strategy]: kept } };
}

/** Rebuilds a book from its journal (the same config it was opened with). */
export function replay(events: Iterable<RiskBookEvent>, config: BookConfig): RiskBook {
  let book = openBook(config);
  for (const e of events) book = evolve(book, e);
  return book;
}
