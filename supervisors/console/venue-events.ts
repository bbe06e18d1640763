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
  const row = (reason: string, tsEvent: number): LifecycleRow => ({
    event: m.type,
    node: "",
    kind: "venue",
    id: venue,
    restarts: 0,
    reason,
    tsEvent,
  });
  switch (m.type) {
    case VenueReportRefused.type: {
      const e = VenueReportRefused.schema.safeParse(m);
      if (!e.success) return undefined;
      const d = e.data;
      return row(`order ${d.clientOrderId} refused execution ${d.execId} (${d.code}: ${d.reason}): reconcile it with the venue`, d.tsEvent);
    }
    case UnknownVenueOrderFound.type: {
      const e = UnknownVenueOrderFound.schema.safeParse(m);
      if (!e.success) return undefined;
      const d = e.data;
      return row(
        `the venue holds order ${d.venueOrderId} (${d.clientOrderId}: ${d.side} ${formatFixed(d.leavesQty)} ${d.instrument} open) that this connection never sent`,
        d.tsEvent,
      );
    }
    case VenueKillSwitchActivated.type: {
      const e = VenueKillSwitchActivated.schema.safeParse(m);
      if (!e.success) return undefined;
      const d = e.data;
      return row(`by ${d.by}: ${d.reason}; ${d.canceled} open orders being canceled, new orders refused`, d.tsEvent);
    }
    case VenueKillSwitchReleased.type: {
      const e = VenueKillSwitchReleased.schema.safeParse(m);
      if (!e.success) return undefined;
      const d = e.data;
      return row(`by ${d.by}${d.reason ? `: ${d.reason}` : ""}; new orders accepted again`, d.tsEvent);
    }
    case VenueCircuitOpened.type: {
      const e = VenueCircuitOpened.schema.safeParse(m);
      if (!e.success) return undefined;
      return row(`${e.data.failures} reconnects failed: degraded, probing after a cool-down`, e.data.tsEvent);
    }
    case VenueGapFilled.type: {
      const e = VenueGapFilled.schema.safeParse(m);
      if (!e.success) return undefined;
      const d = e.data;
      return row(`${d.missing} reports lost on the way, ${d.recovered} recovered from the venue (up to seq ${d.lastVenueSeq})`, d.tsEvent);
    }
    case VenueReconciled.type: {
      const e = VenueReconciled.schema.safeParse(m);
      if (!e.success) return undefined;
      const d = e.data;
      return row(
        `${d.appliedExecutions} executions applied, ${d.resolvedInFlight} in-flight orders resolved, ${d.closedAtVenue} closed at the venue, ` +
          `${d.resentCancels} cancels resent, ${d.unknownOrders} unknown orders; accepting orders`,
        d.tsEvent,
      );
    }
    default:
      return undefined;
  }
}
