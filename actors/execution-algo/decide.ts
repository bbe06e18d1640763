/**
 * What the algorithm does with each input: commands and the schedule's timer decide journaled events plus the
 * children's orders (forwarded to the risk book, as a strategy's are) and cancels; order events of its children
 * become fills and closes; market data feeds participation and TCA without being journaled.
 */
import type { AmendAlgo, CancelAlgo, ForwardRefusedInput, PauseAlgo, ResumeAlgo, StartAlgo } from "./inputs.ts";
import { type Decided, type Emitted, journaled, replyError, replyOk } from "../contract/index.ts";
import { asPrice, asQuantity, toNumber } from "../domain/index.ts";
import { childCancels, childForward } from "./child-order.ts";
import { decideRoute, type QuoteLine, routingView, withBookLine } from "./routed-parent.ts";
import { urgency } from "./almgren-chriss.ts";
import { decideLearned } from "./learned-parent.ts";
import { type AlgoEvent, evolve } from "./evolve.ts";
import { icebergChild, povChild, scheduledChild } from "./schedule.ts";
import { type AlgoContext, AlgoStatus, childOrderId, isDone, type ParentOrder } from "./state.ts";
import { analyse } from "./tca.ts";

export const AlgoRejectCode = { InvalidState: "invalid-state", InvalidParameters: "invalid-parameters" } as const;
export type AlgoRejectCode = (typeof AlgoRejectCode)[keyof typeof AlgoRejectCode];

/** What one input decided: the resulting state and what to emit (journaled events first, in order). */
export type Step = Decided<AlgoContext>;

const refuse = (code: AlgoRejectCode, message: string): Emitted => replyError(code, message);

/** Journals `events` (each applied to the state as it is emitted), then the other emissions. */
const commit = (c: AlgoContext, events: AlgoEvent[], rest: Emitted[] = []): Step => journaled(evolve, c, events, rest);

/** A StartAlgo's parameters that the schema cannot check alone; the error names the field. */
export function startProblem(s: StartAlgo, nowUs: number): string | null {
  if (s.quantity % s.lotSize !== 0) return `quantity: ${s.quantity} must be a multiple of lotSize ${s.lotSize}`;
  const p = s.params;
  if (p.algo === "ICEBERG") {
    if (s.limitPrice === undefined) return "limitPrice: required for ICEBERG (its children rest at the venue)";
    if (p.displayQuantity % s.lotSize !== 0)
      return `params.displayQuantity: ${p.displayQuantity} must be a multiple of lotSize ${s.lotSize}`;
  }
  if ("endAtUs" in p && p.endAtUs <= nowUs) return `params.endAtUs: ${p.endAtUs} must be in the future (now ${nowUs})`;
  if (p.algo === "VWAP") {
    if (p.profile.length !== p.slices) return `params.profile: ${p.profile.length} weights for ${p.slices} slices`;
    if (!p.profile.some((w) => w > 0)) return "params.profile: at least one weight must be positive";
  }
  if (p.algo === "RL" && s.quantity / s.lotSize < p.slices)
    return `params.slices: ${p.slices} slices for ${s.quantity / s.lotSize} lots (a learned parent needs a lot per slice)`;
  if (p.algo === "SOR" && new Set(p.venues).size !== p.venues.length) return `params.venues: ${p.venues.join(",")} names a venue twice`;
  if (p.algo === "IS") {
    try {
      urgency({ ...p, quantity: 1, intervals: p.slices, tau: 1 });
    } catch (e) {
      return `params: ${(e as Error).message}`;
    }
  }
  return null;
}

export function decideStart(c: AlgoContext, s: StartAlgo): Step {
  if (c.status !== AlgoStatus.Idle)
    return commit(c, [], [refuse(AlgoRejectCode.InvalidState, `parent ${c.parentId} is ${c.status}; pick a new parent id`)]);
  const problem = startProblem(s, s.nowUs);
  if (problem) return commit(c, [], [refuse(AlgoRejectCode.InvalidParameters, problem)]);
  const started: AlgoEvent = {
    type: "AlgoStarted",
    parentId: c.parentId,
    instrument: s.instrument,
    side: s.side,
    quantity: s.quantity,
    lotSize: s.lotSize,
    params: s.params,
    book: s.book,
    strategy: s.strategy,
    tsEvent: s.nowUs,
    tsInit: s.nowUs,
    ...(s.limitPrice !== undefined ? { limitPrice: s.limitPrice } : {}),
  };
  return commit(c, [started], [replyOk({ parentId: c.parentId })]);
}

/** The child the algorithm sends now (0: none), and why not when none. */
function sizeChild(c: AlgoContext, p: ParentOrder): { quantity: number; why: string } {
  const remaining = p.quantity - c.filled;
  const lot = p.lotSize;
  const params = p.params;
  switch (params.algo) {
    case "POV":
      return {
        quantity: povChild({
          rate: params.rate,
          marketVolume: c.marketVolume,
          done: c.filled,
          open: c.open,
          remaining,
          lot,
          minChild: params.minChildLots * lot,
        }),
        why: `participation ${params.rate} of ${c.marketVolume} traded is reached`,
      };
    case "ICEBERG":
      return { quantity: icebergChild({ display: params.displayQuantity, open: c.open, remaining, lot }), why: "a slice is showing" };
    default: {
      const quantity = scheduledChild({
        schedule: c.schedule,
        index: c.slice,
        done: c.filled - c.scheduleBase,
        open: c.open,
        remaining,
        lot,
        minChild: ("minChildLots" in params ? params.minChildLots : 1) * lot,
        ...("participationCap" in params && params.participationCap !== undefined ? { cap: params.participationCap } : {}),
        volumeSinceLast: c.marketVolume - c.volumeAtLastChild,
      });
      return { quantity, why: "below the minimum child, held by the participation cap, or all of it is open" };
    }
  }
}

/**
 * The schedule's evaluation (its timer, or an iceberg's slice done): a child when one is due, a skipped slice
 * when a scheduled slice sends nothing, otherwise only the next evaluation's time (not journaled: a tick that
 * sends nothing leaves no trace, so nothing grows per tick).
 */
export function decideEvaluate(c: AlgoContext, nowUs: number): Step {
  const p = c.parent;
  if (!p || c.status !== AlgoStatus.Working) return commit(c, []);
  if (p.params.algo === "SOR") return decideRoute(c, p, p.params, nowUs);
  if (p.params.algo === "RL") return decideLearned(c, p, p.params, nowUs);
  const dueAtUs = c.schedule[c.slice]?.atUs;
  // a timer re-armed early (after a restore) waits for its slice's time
  if (dueAtUs !== undefined && dueAtUs > nowUs) return { context: { ...c, nextAtUs: dueAtUs }, emitted: [] };
  const following = c.schedule[c.slice + 1]?.atUs;
  const nextAtUs = following !== undefined ? Math.max(following, nowUs) : nowUs + c.cadenceUs;
  const { quantity, why } = sizeChild(c, p);
  if (quantity > 0) {
    const id = childOrderId(c.parentId, c.childCount + 1);
    const sent: AlgoEvent = {
      type: "AlgoChildSent",
      parentId: c.parentId,
      clientOrderId: id,
      quantity: asQuantity(quantity),
      slice: c.slice,
      nextAtUs,
      tsEvent: nowUs,
      tsInit: nowUs,
    };
    return commit(c, [sent], [childForward(p, id, { quantity, cumQty: 0, acked: false }, nowUs)]);
  }
  if (c.slice < c.schedule.length) {
    return commit(c, [{ type: "AlgoSliceSkipped", parentId: c.parentId, slice: c.slice, nextAtUs, why, tsEvent: nowUs, tsInit: nowUs }]);
  }
  return { context: { ...c, nextAtUs }, emitted: [] };
}

export function decidePause(c: AlgoContext, m: PauseAlgo): Step {
  if (c.status === AlgoStatus.Paused) return commit(c, [], [replyOk({ status: c.status })]);
  if (c.status !== AlgoStatus.Working)
    return commit(c, [], [refuse(AlgoRejectCode.InvalidState, `PauseAlgo: parent ${c.parentId} is ${c.status}`)]);
  const paused: AlgoEvent = {
    type: "AlgoPaused",
    parentId: c.parentId,
    tsEvent: m.nowUs,
    tsInit: m.nowUs,
    ...(m.reason ? { reason: m.reason } : {}),
  };
  return commit(c, [paused], [...childCancels(c, m.nowUs), replyOk({ status: AlgoStatus.Paused })]);
}

export function decideResume(c: AlgoContext, m: ResumeAlgo): Step {
  if (c.status === AlgoStatus.Working) return commit(c, [], [replyOk({ status: c.status })]);
  if (c.status !== AlgoStatus.Paused)
    return commit(c, [], [refuse(AlgoRejectCode.InvalidState, `ResumeAlgo: parent ${c.parentId} is ${c.status}`)]);
  const resumed: AlgoEvent = {
    type: "AlgoResumed",
    parentId: c.parentId,
    nextAtUs: m.nowUs,
    tsEvent: m.nowUs,
    tsInit: m.nowUs,
    ...(m.reason ? { reason: m.reason } : {}),
  };
  return commit(c, [resumed], [replyOk({ status: AlgoStatus.Working })]);
}

function finish(c: AlgoContext, nowUs: number, how: "AlgoCompleted" | "AlgoCanceled", reason?: string): AlgoEvent {
  const p = c.parent!;
  const tca = analyse(
    p.side,
    c.tape ?? { arrivalMid: 0, lastMid: 0, marketNotional: 0, marketVolume: 0, fillNotional: 0, fillQuantity: 0 },
  );
  return how === "AlgoCompleted"
    ? { type: how, parentId: c.parentId, filledQty: asQuantity(c.filled), tca, tsEvent: nowUs, tsInit: nowUs }
    : {
        type: how,
        parentId: c.parentId,
        filledQty: asQuantity(c.filled),
        tca,
        tsEvent: nowUs,
        tsInit: nowUs,
        ...(reason ? { reason } : {}),
      };
}

export function decideAmend(c: AlgoContext, m: AmendAlgo): Step {
  const p = c.parent;
  if (!p || isDone(c)) return commit(c, [], [refuse(AlgoRejectCode.InvalidState, `AmendAlgo: parent ${c.parentId} is ${c.status}`)]);
  const quantity = m.quantity ?? p.quantity;
  if (quantity % p.lotSize !== 0)
    return commit(c, [], [refuse(AlgoRejectCode.InvalidParameters, `quantity: ${quantity} must be a multiple of lotSize ${p.lotSize}`)]);
  if (quantity < c.filled + c.open)
    return commit(
      c,
      [],
      [refuse(AlgoRejectCode.InvalidParameters, `quantity: ${quantity} is below what is filled and open (${c.filled + c.open})`)],
    );
  if (m.endAtUs !== undefined && !("endAtUs" in p.params))
    return commit(c, [], [refuse(AlgoRejectCode.InvalidParameters, `endAtUs: ${p.params.algo} has no schedule to end`)]);
  if (m.endAtUs !== undefined && m.endAtUs <= m.nowUs)
    return commit(c, [], [refuse(AlgoRejectCode.InvalidParameters, `endAtUs: ${m.endAtUs} must be in the future (now ${m.nowUs})`)]);
  const limitPrice = m.limitPrice ?? p.limitPrice;
  const amended: AlgoEvent = {
    type: "AlgoAmended",
    parentId: c.parentId,
    quantity: asQuantity(quantity),
    tsEvent: m.nowUs,
    tsInit: m.nowUs,
    ...(limitPrice !== undefined ? { limitPrice: asPrice(limitPrice) } : {}),
    ...(m.endAtUs !== undefined ? { endAtUs: m.endAtUs } : {}),
  };
  const after = evolve(c, amended);
  const events = after.filled >= quantity && after.open === 0 ? [amended, finish(after, m.nowUs, "AlgoCompleted")] : [amended];
  return commit(c, events, [replyOk({ quantity, ...(limitPrice !== undefined ? { limitPrice } : {}) })]);
}

export function decideCancel(c: AlgoContext, m: CancelAlgo): Step {
  if (isDone(c)) return commit(c, [], [replyOk({ status: c.status })]);
  if (!c.parent) return commit(c, [], [refuse(AlgoRejectCode.InvalidState, `CancelAlgo: parent ${c.parentId} was never started`)]);
  return commit(
    c,
    [finish(c, m.nowUs, "AlgoCanceled", m.reason)],
    [...childCancels(c, m.nowUs), replyOk({ status: AlgoStatus.Canceled, filledQty: c.filled })],
  );
}

/** What a child's order entity said, reduced to what the parent journals. */
export interface ChildReport {
  /** OrderDenied: the risk book refused the child's SubmitOrder (the forward's refusal) */
  type: "OrderAccepted" | "OrderFilled" | "OrderCanceled" | "OrderExpired" | "OrderRejected" | "OrderDenied";
  clientOrderId: string;
  lastPx?: number;
  cumQty?: number;
  leavesQty?: number;
  reason?: string;
  nowUs: number;
}

const outcomes = { OrderCanceled: "CANCELED", OrderExpired: "EXPIRED", OrderRejected: "REJECTED", OrderDenied: "DENIED" } as const;

/**
 * An event of one of the parent's children. Fills are taken by the child's cumulative quantity, so an event heard
 * twice (a live one and its catch-up copy after a restart) changes nothing the second time.
 */
export function decideChildReport(c: AlgoContext, r: ChildReport): Step {
  const child = c.children[r.clientOrderId];
  if (!child) return commit(c, []);
  const events: AlgoEvent[] = [];
  const base = { parentId: c.parentId, clientOrderId: r.clientOrderId, tsEvent: r.nowUs, tsInit: r.nowUs };
  if (r.type === "OrderFilled" && r.cumQty !== undefined && r.lastPx !== undefined) {
    if (r.cumQty > child.cumQty)
      events.push({
        ...base,
        type: "AlgoChildFilled",
        lastQty: asQuantity(r.cumQty - child.cumQty),
        lastPx: asPrice(r.lastPx),
        cumQty: asQuantity(r.cumQty),
      });
    if (r.leavesQty === 0) events.push({ ...base, type: "AlgoChildClosed", cumQty: asQuantity(r.cumQty), outcome: "FILLED" });
  } else if (r.type !== "OrderAccepted" && r.type !== "OrderFilled") {
    events.push({
      ...base,
      type: "AlgoChildClosed",
      cumQty: asQuantity(r.cumQty ?? child.cumQty),
      outcome: outcomes[r.type],
      ...(r.reason ? { reason: r.reason } : {}),
    });
  }
  if (events.length === 0) {
    // heard from the child's order: nothing to journal, but a restored parent need not forward it again
    return child.acked
      ? commit(c, [])
      : { context: { ...c, children: { ...c.children, [r.clientOrderId]: { ...child, acked: true } } }, emitted: [] };
  }
  // a routed child the venue rejects leaves that venue passed over and the rest goes elsewhere (evolve holds it)
  const rerouted = r.type === "OrderRejected" && c.parent?.params.algo === "SOR";
  if ((r.type === "OrderRejected" || r.type === "OrderDenied") && c.status === AlgoStatus.Working && !rerouted) {
    // sending the same child again would be refused again, once a slice, for ever: an operator decides
    const reason = `child ${r.clientOrderId} ${outcomes[r.type].toLowerCase()}${r.reason ? `: ${r.reason}` : ""}`.slice(0, 256);
    const closed = commit(c, events);
    const paused = commit(
      closed.context,
      [{ type: "AlgoPaused", parentId: c.parentId, reason, tsEvent: r.nowUs, tsInit: r.nowUs }],
      childCancels(closed.context, r.nowUs),
    );
    return { context: paused.context, emitted: [...closed.emitted, ...paused.emitted] };
  }
  return settle(commit(c, events), r.nowUs);
}

/** After a child changed: the parent completes when filled, and an iceberg shows its next slice at once. */
function settle(s: Step, nowUs: number): Step {
  const c = s.context;
  const p = c.parent;
  if (!p || c.status === AlgoStatus.Canceled) return s;
  if (c.status !== AlgoStatus.Completed && c.filled >= p.quantity) {
    const done = commit(c, [finish(c, nowUs, "AlgoCompleted")]);
    return { context: done.context, emitted: [...s.emitted, ...done.emitted] };
  }
  if (c.status === AlgoStatus.Working && p.params.algo === "ICEBERG" && c.open === 0) {
    const next = decideEvaluate(c, nowUs);
    return { context: next.context, emitted: [...s.emitted, ...next.emitted] };
  }
  return s;
}

export function decideRefused(c: AlgoContext, f: ForwardRefusedInput): Step {
  if (f.messageType !== "SubmitOrder") return commit(c, []);
  return decideChildReport(c, {
    type: "OrderDenied",
    clientOrderId: f.key,
    reason: `${f.error.code}: ${f.error.message}`,
    nowUs: f.nowUs,
  });
}

/**
 * A quote: of the parent's instrument, the mid for arrival (the first one after the start) and close; of a listing
 * a routed parent may use, that venue's line of the consolidated book.
 */
export function onQuote(c: AlgoContext, q: QuoteLine): AlgoContext {
  const p = c.parent;
  if (!p || isDone(c)) return c;
  const next = p.params.algo === "SOR" ? withBookLine(c, p, p.params.venues, q) : c;
  if (p.instrument !== q.instrument) return next;
  const mid = (toNumber(q.bid) + toNumber(q.ask)) / 2;
  const tape = next.tape && { ...next.tape, lastMid: mid, arrivalMid: next.tape.arrivalMid > 0 ? next.tape.arrivalMid : mid };
  // a learned parent's policy sees the touch; the others need only the mid
  const touch = p.params.algo === "RL" ? { bid: q.bid, bidSize: q.bidSize, ask: q.ask, askSize: q.askSize } : next.touch;
  return { ...next, tape, touch };
}

/** A trade of the parent's instrument: volume for participation, and the interval VWAP. */
export function onTrade(c: AlgoContext, instrument: string, price: number, size: number): AlgoContext {
  if (!c.parent || c.parent.instrument !== instrument || isDone(c)) return c;
  const tape = c.tape && {
    ...c.tape,
    marketNotional: c.tape.marketNotional + toNumber(price) * toNumber(size),
    marketVolume: c.tape.marketVolume + toNumber(size),
  };
  return { ...c, marketVolume: c.marketVolume + size, tape };
}

/** What GetAlgo answers: progress against the schedule, and the TCA once done. */
export function algoView(c: AlgoContext): Record<string, unknown> {
  const p = c.parent;
  let due = c.scheduleBase;
  for (const s of c.schedule.slice(0, c.slice)) due += s.quantity;
  return {
    parentId: c.parentId,
    status: c.status,
    ...(p ? { instrument: p.instrument, side: p.side, quantity: p.quantity, algo: p.params.algo, limitPrice: p.limitPrice } : {}),
    filled: c.filled,
    open: c.open,
    scheduledSoFar: due,
    slice: c.slice,
    slices: c.schedule.length,
    children: c.childCount,
    openChildren: Object.keys(c.children),
    ...(p?.params.algo === "SOR" ? { venues: routingView(c, p.params.venues) } : {}),
    ...(p?.params.algo === "RL" ? { pendingDecision: c.pendingDecision } : {}),
    tca: c.tca,
  };
}
