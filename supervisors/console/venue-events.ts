import type { MessageDef, MessageOf } from "../../actors/contract/index.ts";
import {
  UnknownVenueOrderFound,
  VenueCircuitOpened,
  VenueGapFilled,
  VenueKillSwitchActivated,
  VenueKillSwitchReleased,
  VenueReconciled,
  VenueReportRefused,
} from "../../actors/venue/connection/index.ts";
import { formatFixed } from "../../actors/domain/index.ts";
import type { Message } from "../../infra/nats/codec.ts";
import type { LifecycleRow } from "./protocol.ts";

/**
 * A venue connection's domain event (am.evt.venue.<venue>.<Event>) as a row of the console's log, in words: what
 * happened at the venue and, for a refused report or an order the connection never sent, what the operator must
 * reconcile. Undefined for a message that is not one of its events or does not match its definition: the log shows
 * only what it can say correctly.
 */
export function venueEventRow(m: Message, venue: string): LifecycleRow | undefined {
  // every venue event is stamped (schema.stamped): its tsEvent is the row's time
  const said = <D extends MessageDef>(def: D, words: (e: MessageOf<D>) => string): LifecycleRow | undefined => {
    const e = def.schema.safeParse(m);
    if (!e.success) return undefined;
    const tsEvent = (e.data as { tsEvent: number }).tsEvent;
    return { event: m.type, node: "", kind: "venue", id: venue, restarts: 0, reason: words(e.data as MessageOf<D>), tsEvent };
  };
  switch (m.type) {
    case VenueReportRefused.type:
      return said(
        VenueReportRefused,
        (d) => `order ${d.clientOrderId} refused execution ${d.execId} (${d.code}: ${d.reason}): reconcile it with the venue`,
      );
    case UnknownVenueOrderFound.type:
      return said(
        UnknownVenueOrderFound,
        (d) =>
          `the venue holds order ${d.venueOrderId} (${d.clientOrderId}: ${d.side} ${formatFixed(d.leavesQty)} ${d.instrument} open) that this connection never sent`,
      );
    case VenueKillSwitchActivated.type:
      return said(VenueKillSwitchActivated, (d) => `by ${d.by}: ${d.reason}; ${d.canceled} open orders being canceled, new orders refused`);
    case VenueKillSwitchReleased.type:
      return said(VenueKillSwitchReleased, (d) => `by ${d.by}${d.reason ? `: ${d.reason}` : ""}; new orders accepted again`);
    case VenueCircuitOpened.type:
      return said(VenueCircuitOpened, (d) => `${d.failures} reconnects failed: degraded, probing after a cool-down`);
    case VenueGapFilled.type:
      return said(
        VenueGapFilled,
        (d) => `${d.missing} reports lost on the way, ${d.recovered} recovered from the venue (up to seq ${d.lastVenueSeq})`,
      );
    case VenueReconciled.type:
      return said(
        VenueReconciled,
        (d) =>
          `${d.appliedExecutions} executions applied, ${d.resolvedInFlight} in-flight orders resolved, ${d.closedAtVenue} closed at the venue, ` +
          `${d.resentCancels} cancels resent, ${d.unknownOrders} unknown orders; accepting orders`,
      );
    default:
      return undefined;
  }
}
