/**
 * The contingency rules, as functions of the list's state: which legs go first, which are due once another
 * filled, which can never be sent, which working legs must be canceled, and how the list ended. Decide compares
 * them before and after each change, so a rule acts once; a restored list asks them again to finish what its
 * old process may not have (a cancel lost with it).
 */
import {
  Contingency,
  LegOutcome,
  LegRole,
  type LegTerms,
  type ListLeg,
  ListOutcome,
  OrderType,
  Side,
  type SubmitOrderList,
  TimeInForce,
} from "../domain/index.ts";
import { parseInstrumentId } from "../contract/index.ts";
import { capabilitiesOf, fullCapabilities, routeOrder, type VenueCapabilityTable } from "../order/index.ts";
import type { LegState, ListContext } from "./state.ts";

/** The legs of a submitted list, in leg order. A bracket's exits carry the entry's quantity until they are sent. */
export function legsOf(m: SubmitOrderList): ListLeg[] {
  const as =
    (role: ListLeg["role"]) =>
    (t: LegTerms): ListLeg => ({ role, ...t });
  switch (m.contingency) {
    case Contingency.Oco:
      return m.orders.map(as(LegRole.Member));
    case Contingency.Oto:
      return [as(LegRole.Primary)(m.primary), ...m.secondaries.map(as(LegRole.Secondary))];
    case Contingency.Bracket: {
      const e = m.entry;
      const exit = {
        instrument: e.instrument,
        side: e.side === Side.Buy ? Side.Sell : Side.Buy,
        quantity: e.quantity,
        timeInForce: TimeInForce.Gtc,
        postOnly: false,
        reduceOnly: false,
      };
      const stopLoss: ListLeg =
        m.stopLossLimitPrice === undefined
          ? { role: LegRole.StopLoss, ...exit, orderType: OrderType.Stop, stopPrice: m.stopLossPrice }
          : { role: LegRole.StopLoss, ...exit, orderType: OrderType.StopLimit, stopPrice: m.stopLossPrice, price: m.stopLossLimitPrice };
      return [as(LegRole.Entry)(e), { role: LegRole.TakeProfit, ...exit, orderType: OrderType.Limit, price: m.takeProfitPrice }, stopLoss];
    }
  }
}

/**
 * Whether the venue of the list's legs holds this kind of list itself: every leg on that one venue, which names
 * the contingency in its `lists` capability and takes every leg as it is (a leg it would need emulated, a stop or
 * a GTD, would not reach it as the list's), and the legs that cancel one another on one instrument (one book).
 */
export function venueHoldsList(m: SubmitOrderList, legs: readonly ListLeg[], venues: VenueCapabilityTable): boolean {
  const first = legs[0];
  if (!first) return false;
  const venue = parseInstrumentId(first.instrument).venue;
  const caps = capabilitiesOf(venues, first.instrument, fullCapabilities);
  if (!caps.lists?.includes(m.contingency)) return false;
  if (legs.some((l) => parseInstrumentId(l.instrument).venue !== venue)) return false;
  const cancelling = new Set(legs.filter((l) => inOcoSet(l.role)).map((l) => l.instrument));
  if (cancelling.size > 1) return false;
  return legs.every((l) => {
    const r = routeOrder({ ...l, clientOrderId: "leg", strategy: m.strategy, book: m.book, tsEvent: 0, tsInit: 0 }, caps);
    return r.ok && !r.emulatedStop && !r.emulatedGtd;
  });
}

const inOcoSet = (role: ListLeg["role"]): boolean => role === LegRole.Member || role === LegRole.TakeProfit || role === LegRole.StopLoss;

/** Legs sent with the list itself: every OCO member, an OTO's primary, a bracket's entry. */
export const sentAtOnce = (l: ListLeg): boolean => l.role === LegRole.Member || l.role === LegRole.Primary || l.role === LegRole.Entry;

const filledAny = (l: LegState): boolean => l.cumQty > 0;

/** Whether the leg that releases `l` (an OTO primary, a bracket entry) has released it; null: it never will. */
function released(c: ListContext, l: LegState): boolean | null {
  const first = c.legs[0];
  if (!first || c.cancelRequested) return null;
  if (l.role === LegRole.Secondary) {
    if (first.outcome === LegOutcome.Filled || (c.triggerOnPartial && filledAny(first))) return true;
    return first.closed ? null : false;
  }
  if (l.role === LegRole.TakeProfit || l.role === LegRole.StopLoss) {
    // exits are sized to what the entry filled, so they wait until it has ended
    if (!first.closed) return false;
    return filledAny(first) ? true : null;
  }
  return false;
}

/** Unsent legs whose release has come: sent now, an exit at the entry's filled quantity. */
export function dueLegs(c: ListContext): { leg: number; quantity: number }[] {
  // a native list went out whole: its venue releases the legs
  if (c.native) return [];
  const out: { leg: number; quantity: number }[] = [];
  c.legs.forEach((l, i) => {
    if (l.sent || l.closed || released(c, l) !== true) return;
    const exit = l.role === LegRole.TakeProfit || l.role === LegRole.StopLoss;
    out.push({ leg: i, quantity: exit ? (c.legs[0]?.cumQty ?? 0) : l.quantity });
  });
  return out;
}

/** Unsent legs that never will be: the primary or entry ended without releasing them, or the list was canceled. */
export function droppedLegs(c: ListContext): number[] {
  if (c.native) return [];
  return c.legs.flatMap((l, i) => (!l.sent && !l.closed && !sentAtOnce(l) && released(c, l) === null ? [i] : []));
}

/** The legs that cancel one another: the OCO members, a bracket's two exits. */
function ocoSet(c: ListContext): number[] {
  return c.legs.flatMap((l, i) => (l.role === LegRole.Member || l.role === LegRole.TakeProfit || l.role === LegRole.StopLoss ? [i] : []));
}

/**
 * Working legs the state says must be canceled. In an OCO set the first leg to fill (partly or fully) wins and
 * keeps working; the others are canceled. A member that ended unfilled (canceled, expired, rejected, denied)
 * breaks the set: the others are canceled too. A canceled list cancels every working leg.
 */
export function legsToCancel(c: ListContext): number[] {
  const working = (i: number) => {
    const l = c.legs[i];
    return l?.sent === true && !l.closed;
  };
  if (c.cancelRequested) return c.legs.flatMap((_l, i) => (working(i) ? [i] : []));
  if (c.native) {
    // its venue runs the contingency; a leg refused before reaching it (risk book) or by it leaves a list the venue
    // can never work whole, so the rest is canceled
    const refused = c.legs.some((l) => l.outcome === LegOutcome.Denied || l.outcome === LegOutcome.Rejected);
    return refused ? c.legs.flatMap((_l, i) => (working(i) ? [i] : [])) : [];
  }
  const set = ocoSet(c);
  const winner = set.find((i) => filledAny(c.legs[i]!));
  if (winner !== undefined) return set.filter((i) => i !== winner && working(i));
  const broken = set.some((i) => c.legs[i]!.closed && c.legs[i]!.outcome !== LegOutcome.Filled);
  return broken ? set.filter(working) : [];
}

/** How a list whose legs have all ended turned out. */
export function outcomeOf(c: ListContext): ListOutcome {
  if (c.cancelRequested) return ListOutcome.Canceled;
  if (c.legs.some((l) => l.outcome === LegOutcome.Rejected || l.outcome === LegOutcome.Denied)) return ListOutcome.Rejected;
  return c.legs.some(filledAny) ? ListOutcome.Completed : ListOutcome.Canceled;
}
