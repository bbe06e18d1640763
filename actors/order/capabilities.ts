import { parseInstrumentId } from "../contract/index.ts";
import { type Contingency, OrderType, TimeInForce, type SubmitOrder } from "../domain/index.ts";
import { OrderReason } from "./reasons.ts";

/** What a venue accepts natively. Anything else is emulated by the order actor or refused. */
export interface VenueCapabilities {
  orderTypes: readonly OrderType[];
  timesInForce: readonly TimeInForce[];
  postOnly: boolean;
  reduceOnly: boolean;
  /** the order lists the venue holds itself (absent: none; the platform's order list emulates them) */
  lists?: readonly Contingency[];
}

export const fullCapabilities: VenueCapabilities = {
  orderTypes: [OrderType.Market, OrderType.Limit, OrderType.Stop, OrderType.StopLimit],
  timesInForce: [TimeInForce.Day, TimeInForce.Gtc, TimeInForce.Ioc, TimeInForce.Fok, TimeInForce.Gtd],
  postOnly: true,
  reduceOnly: true,
};

/** What each venue accepts, by venue id (AM_VENUE_CAPABILITIES); a venue not named accepts everything. */
export type VenueCapabilityTable = Readonly<Record<string, VenueCapabilities>>;

/** The capabilities of the venue an instrument (`SYMBOL.VENUE`) trades on. */
export function capabilitiesOf(table: VenueCapabilityTable, instrument: string, otherwise: VenueCapabilities): VenueCapabilities {
  return table[parseInstrumentId(instrument).venue] ?? otherwise;
}

export type Routing = { ok: true; emulatedStop: boolean; emulatedGtd: boolean } | { ok: false; reason: OrderReason; message: string };

/**
 * Decides how an order reaches a venue. STOP/STOP_LIMIT are held locally and sent as MARKET/LIMIT when triggered
 * if the venue lacks them (and has the order type they become); GTD is enforced locally and sent as GTC if the
 * venue lacks GTD. Other gaps (IOC, FOK, DAY, MARKET, LIMIT, flags) cannot be emulated faithfully and are refused.
 */
export function routeOrder(o: SubmitOrder, caps: VenueCapabilities): Routing {
  let emulatedStop = false;
  if (!caps.orderTypes.includes(o.orderType)) {
    const becomes = o.orderType === OrderType.Stop ? OrderType.Market : o.orderType === OrderType.StopLimit ? OrderType.Limit : undefined;
    if (becomes === undefined || !caps.orderTypes.includes(becomes)) {
      return {
        ok: false,
        reason: OrderReason.UnsupportedOrderType,
        message: `type: venue does not support ${o.orderType} and it cannot be emulated`,
      };
    }
    emulatedStop = true;
  }
  let emulatedGtd = false;
  if (!caps.timesInForce.includes(o.timeInForce)) {
    if (o.timeInForce !== TimeInForce.Gtd || !caps.timesInForce.includes(TimeInForce.Gtc)) {
      return { ok: false, reason: OrderReason.UnsupportedTimeInForce, message: `timeInForce: venue does not support ${o.timeInForce}` };
    }
    emulatedGtd = true;
  }
  if (o.postOnly && !caps.postOnly)
    return { ok: false, reason: OrderReason.UnsupportedFlag, message: "postOnly: venue does not support post-only orders" };
  if (o.reduceOnly && !caps.reduceOnly)
    return { ok: false, reason: OrderReason.UnsupportedFlag, message: "reduceOnly: venue does not support reduce-only orders" };
  return { ok: true, emulatedStop, emulatedGtd };
}
