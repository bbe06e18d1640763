import { CancelCause as Cause, OrderType, type Price } from "../domain/index.ts";
import { decideCancel } from "./amend.ts";
import type { Decision, QuoteInput, TradeInput } from "./decision.ts";
import { isTerminal, OrdStatus, type OrderState } from "./order-state.ts";
import { newOrderCommand } from "./submit.ts";

/* What the actor enforces itself for venues that lack it: stop triggers from market data and GTD expiry. */

/** The price an emulated stop compares with its trigger: last trade, or the side of the quote it would take. */
function triggerPrice(o: OrderState, input: QuoteInput | TradeInput): Price {
  if (input.type === "Trade") return input.price;
  return o.side === "BUY" ? input.ask : input.bid;
}

/** The order holds a stop the venue lacks and waits for the market to reach it: it needs market data. */
export const emulatesStop = (o: OrderState): boolean => o.emulatedStop && !o.triggered && !isTerminal(o.status);

export function decideMarketData(o: OrderState | null, input: QuoteInput | TradeInput): Decision {
  if (
    o === null ||
    !o.emulatedStop ||
    o.triggered ||
    o.status !== OrdStatus.New ||
    input.instrument !== o.instrument ||
    o.stopPrice === undefined
  ) {
    return { events: [], commands: [] };
  }
  const px = triggerPrice(o, input);
  const crossed = o.side === "BUY" ? px >= o.stopPrice : px <= o.stopPrice;
  if (!crossed) return { events: [], commands: [] };
  const venueType = o.orderType === OrderType.StopLimit ? OrderType.Limit : OrderType.Market;
  const stamp = { tsEvent: input.tsEvent, tsInit: input.nowUs };
  return {
    events: [{ type: "OrderTriggered", clientOrderId: o.clientOrderId, triggerPx: px, venueType, ...stamp }],
    commands: [newOrderCommand(o, venueType, input.nowUs)],
  };
}

/** Whether a locally enforced GTD expiry is due and can act now (not while a cancel or replace is pending). */
export function expiryDue(o: OrderState | null, nowUs: number): o is OrderState {
  return (
    o?.emulatedGtd === true &&
    o.expireAtUs !== undefined &&
    nowUs >= o.expireAtUs &&
    (o.status === OrdStatus.PendingNew || o.status === OrdStatus.New || o.status === OrdStatus.PartiallyFilled)
  );
}

/** A local GTD expiry: a held stop expires at once; an order at the venue is canceled with cause EXPIRED. */
export function decideExpiry(o: OrderState | null, nowUs: number): Decision {
  if (!expiryDue(o, nowUs)) return { events: [], commands: [] };
  const d = decideCancel(o, { nowUs }, Cause.Expired);
  const { reply: _r, ...rest } = d;
  return rest;
}
