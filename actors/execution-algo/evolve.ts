/**
 * What each journaled event does to the algorithm's state. Pure and total over the events the machine journals,
 * so replaying the journal after a restart rebuilds exactly the state that was committed.
 */
import type {
  AlgoAmended,
  AlgoCanceled,
  AlgoChildClosed,
  AlgoChildFilled,
  AlgoChildSent,
  AlgoCompleted,
  AlgoParams,
  AlgoPaused,
  AlgoResumed,
  AlgoSliceSkipped,
  AlgoStarted,
} from "../domain/index.ts";
import { toNumber } from "../domain/index.ts";
import { parseInstrumentId } from "../contract/index.ts";
import { trajectory } from "./almgren-chriss.ts";
import { type Slice, twapSchedule, weightedSchedule, wholeLots } from "./schedule.ts";
import { type AlgoContext, AlgoStatus, type ChildOrder, type ParentOrder } from "./state.ts";
import type { VenueFills } from "./routing.ts";
import { emptyTape } from "./tca.ts";

type Tagged<T, N extends string> = T & { type: N };
export type AlgoEvent =
  | Tagged<AlgoStarted, "AlgoStarted">
  | Tagged<AlgoChildSent, "AlgoChildSent">
  | Tagged<AlgoSliceSkipped, "AlgoSliceSkipped">
  | Tagged<AlgoChildFilled, "AlgoChildFilled">
  | Tagged<AlgoChildClosed, "AlgoChildClosed">
  | Tagged<AlgoPaused, "AlgoPaused">
  | Tagged<AlgoResumed, "AlgoResumed">
  | Tagged<AlgoAmended, "AlgoAmended">
  | Tagged<AlgoCompleted, "AlgoCompleted">
  | Tagged<AlgoCanceled, "AlgoCanceled">;

export const algoEventTypes: ReadonlySet<string> = new Set([
  "AlgoStarted",
  "AlgoChildSent",
  "AlgoSliceSkipped",
  "AlgoChildFilled",
  "AlgoChildClosed",
  "AlgoPaused",
  "AlgoResumed",
  "AlgoAmended",
  "AlgoCompleted",
  "AlgoCanceled",
]);

type Horizon = { endAtUs: number; slices: number };
const horizonOf = (p: AlgoParams): Horizon | null => ("endAtUs" in p ? { endAtUs: p.endAtUs, slices: p.slices } : null);

/** Relative size of each slice of a scheduled algorithm (TWAP: equal, VWAP: the profile, IS: the optimal trades). */
function sliceWeights(p: AlgoParams, slices: number): number[] {
  switch (p.algo) {
    case "VWAP":
      return p.profile.length === slices ? p.profile : new Array<number>(slices).fill(1);
    case "IS":
      return trajectory({
        quantity: 1,
        intervals: slices,
        tau: 1,
        riskAversion: p.riskAversion,
        volatility: p.volatility,
        temporaryImpact: p.temporaryImpact,
        permanentImpact: p.permanentImpact,
      });
    default:
      return new Array<number>(slices).fill(1);
  }
}

/**
 * The slices for `quantity` from `fromUs` to the horizon's end. The first build follows the parameters; a
 * rebuild (after an amend) keeps as many slices as the time left holds at the original cadence, at least one.
 */
export function buildSchedule(parent: ParentOrder, fromUs: number, quantity: number, cadenceUs: number): Slice[] {
  const h = horizonOf(parent.params);
  if (h === null || quantity <= 0) return [];
  const endUs = h.endAtUs;
  if (endUs <= fromUs) return [{ atUs: fromUs, quantity }];
  const slices = fromUs === parent.startedUs ? h.slices : Math.max(1, Math.min(h.slices, Math.ceil((endUs - fromUs) / cadenceUs)));
  if (parent.params.algo === "TWAP") return twapSchedule(quantity, parent.lotSize, fromUs, endUs, slices);
  const weights = sliceWeights(parent.params, h.slices);
  return weightedSchedule(quantity, parent.lotSize, fromUs, endUs, weights.slice(weights.length - slices));
}

export function cadenceOf(params: AlgoParams, startUs: number): number {
  const h = horizonOf(params);
  if (h !== null) return Math.max(1_000, Math.floor((h.endAtUs - startUs) / h.slices));
  return "checkEveryMs" in params ? params.checkEveryMs * 1000 : 1_000_000;
}

/** How long a routed parent passes over a venue that rejected one of its children. */
export const VENUE_HOLD_US = 5_000_000;

const venueOf = (child: ChildOrder): string | undefined =>
  child.instrument === undefined ? undefined : parseInstrumentId(child.instrument).venue;

function countFills(fills: Record<string, VenueFills>, venue: string, sent: number, filled: number): Record<string, VenueFills> {
  const was = fills[venue] ?? { sent: 0, filled: 0 };
  return { ...fills, [venue]: { sent: was.sent + sent, filled: was.filled + filled } };
}

export function evolve(c: AlgoContext, e: AlgoEvent): AlgoContext {
  switch (e.type) {
    case "AlgoStarted": {
      const parent: ParentOrder = {
        instrument: e.instrument,
        side: e.side,
        quantity: e.quantity,
        lotSize: e.lotSize,
        book: e.book,
        strategy: e.strategy,
        params: e.params,
        startedUs: e.tsEvent,
        ...(e.limitPrice !== undefined ? { limitPrice: e.limitPrice } : {}),
      };
      const cadenceUs = cadenceOf(e.params, e.tsEvent);
      return {
        ...c,
        status: AlgoStatus.Working,
        parent,
        cadenceUs,
        schedule: buildSchedule(parent, e.tsEvent, e.quantity, cadenceUs),
        scheduleBase: 0,
        slice: 0,
        nextAtUs: e.tsEvent,
        marketVolume: 0,
        volumeAtLastChild: 0,
        // the arrival price is the first mid heard once started (quotes of other instruments are not kept)
        tape: emptyTape(0),
      };
    }
    case "AlgoChildSent": {
      const child: ChildOrder = { quantity: e.quantity, cumQty: 0, acked: false };
      if (e.instrument !== undefined) child.instrument = e.instrument;
      if (e.price !== undefined) child.price = e.price;
      const venue = venueOf(child);
      return {
        ...c,
        children: { ...c.children, [e.clientOrderId]: child },
        ...(venue ? { venueFills: countFills(c.venueFills, venue, e.quantity, 0) } : {}),
        childCount: c.childCount + 1,
        open: c.open + e.quantity,
        slice: e.slice + 1,
        nextAtUs: e.nextAtUs,
        volumeAtLastChild: c.marketVolume,
      };
    }
    case "AlgoSliceSkipped":
      return { ...c, slice: e.slice + 1, nextAtUs: e.nextAtUs };
    case "AlgoChildFilled": {
      const child = c.children[e.clientOrderId];
      if (!child || e.cumQty <= child.cumQty) return c;
      const delta = e.cumQty - child.cumQty;
      const tape = c.tape && {
        ...c.tape,
        fillNotional: c.tape.fillNotional + toNumber(delta) * toNumber(e.lastPx),
        fillQuantity: c.tape.fillQuantity + toNumber(delta),
      };
      return {
        ...c,
        children: { ...c.children, [e.clientOrderId]: { ...child, cumQty: e.cumQty, acked: true } },
        filled: c.filled + delta,
        open: c.open - delta,
        tape,
        ...(venueOf(child) ? { venueFills: countFills(c.venueFills, venueOf(child)!, 0, delta) } : {}),
      };
    }
    case "AlgoChildClosed": {
      const child = c.children[e.clientOrderId];
      if (!child) return c;
      // a closed child is forgotten: the map holds the open ones only, so each step copies a few entries, not
      // every child the parent ever sent (later copies of its events find no child and change nothing)
      const { [e.clientOrderId]: _closed, ...children } = c.children;
      const venue = venueOf(child);
      // a venue that rejects a routed child (not ready, disconnected, refused) is passed over for a while: the rest
      // goes to the others
      const held = venue && e.outcome === "REJECTED" ? { venueHeldUntil: { ...c.venueHeldUntil, [venue]: e.tsEvent + VENUE_HOLD_US } } : {};
      return { ...c, children, open: c.open - (child.quantity - child.cumQty), ...held };
    }
    case "AlgoPaused":
      // a decision asked of a learned parent's model is dropped: resumed, the parent asks afresh
      return { ...c, status: AlgoStatus.Paused, pendingDecision: null };
    case "AlgoResumed":
      return { ...c, status: AlgoStatus.Working, nextAtUs: e.nextAtUs };
    case "AlgoAmended": {
      if (!c.parent) return c;
      const parent: ParentOrder = { ...c.parent, quantity: e.quantity };
      if (e.limitPrice !== undefined) parent.limitPrice = e.limitPrice;
      if (e.endAtUs !== undefined && "endAtUs" in parent.params) parent.params = { ...parent.params, endAtUs: e.endAtUs };
      const base = c.filled + c.open;
      return {
        ...c,
        parent,
        // a partly filled child can leave less than a lot: the catch-up after the horizon sends it
        schedule: buildSchedule(parent, e.tsEvent, wholeLots(e.quantity - base, parent.lotSize), c.cadenceUs),
        scheduleBase: base,
        slice: 0,
        nextAtUs: Math.max(e.tsEvent, Math.min(c.nextAtUs, e.tsEvent + c.cadenceUs)),
      };
    }
    case "AlgoCompleted":
      return { ...c, status: AlgoStatus.Completed, tca: e.tca };
    case "AlgoCanceled":
      return { ...c, status: AlgoStatus.Canceled, tca: e.tca };
  }
}
