/**
 * A learned parent (`RL`): at each slice of its horizon it asks its policy, a model actor, for the action on the
 * liquidation state (liquidation-state.ts, the row the policy was trained on) and sends the child that action
 * sizes; the last slice, and the catch-up past the horizon, send the rest without asking. The question is a Predict
 * whose answer (a Prediction) comes back on the parent's command subject, so inference never runs on the actor's
 * step and a backtest waits for it on the simulated clock as it does for any model.
 */
import { type Decided, type Emitted, journaled, subjects } from "../contract/index.ts";
import { type AlgoParams, asQuantity, toNumber } from "../domain/index.ts";
import { childCancels, childForward } from "./child-order.ts";
import { type AlgoEvent, evolve } from "./evolve.ts";
import type { PredictionInput } from "./inputs.ts";
import { liquidationChildLots, liquidationObservation } from "./liquidation-state.ts";
import { type AlgoContext, AlgoStatus, childOrderId, type ParentOrder } from "./state.ts";

type LearnedParams = Extract<AlgoParams, { algo: "RL" }>;
type Step = Decided<AlgoContext>;

/** how long a parent with no quote yet, or with all of its rest open, waits before it looks again */
const LOOK_AGAIN_US = 50_000;

const waitUntil = (c: AlgoContext, nextAtUs: number): Step => ({ context: { ...c, nextAtUs }, emitted: [] });

/** When the evaluation after slice `slice` is due: the next slice's time, or a cadence on past the horizon. */
function followingAt(c: AlgoContext, slice: number, nowUs: number): number {
  const following = c.schedule[slice + 1]?.atUs;
  return following !== undefined ? Math.max(following, nowUs) : nowUs + c.cadenceUs;
}

function sendChild(c: AlgoContext, p: ParentOrder, quantity: number, slice: number, nowUs: number): Step {
  const id = childOrderId(c.parentId, c.childCount + 1);
  const sent: AlgoEvent = {
    type: "AlgoChildSent",
    parentId: c.parentId,
    clientOrderId: id,
    quantity: asQuantity(quantity),
    slice,
    nextAtUs: followingAt(c, slice, nowUs),
    tsEvent: nowUs,
    tsInit: nowUs,
  };
  return journaled(evolve, c, [sent], [childForward(p, id, { quantity, cumQty: 0, acked: false }, nowUs)]);
}

/** The parent stops (as for a refused child): without its policy it has no way to size the next child. */
function pause(c: AlgoContext, reason: string, nowUs: number): Step {
  const paused: AlgoEvent = { type: "AlgoPaused", parentId: c.parentId, reason: reason.slice(0, 256), tsEvent: nowUs, tsInit: nowUs };
  return journaled(evolve, c, [paused], childCancels(c, nowUs));
}

/** Lots neither filled nor open. */
const lotsLeftOf = (c: AlgoContext, p: ParentOrder): number => Math.floor((p.quantity - c.filled - c.open) / p.lotSize);

/** The schedule's evaluation of a learned parent: ask the policy, or send the rest, or wait. */
export function decideLearned(c: AlgoContext, p: ParentOrder, params: LearnedParams, nowUs: number): Step {
  const dueAtUs = c.schedule[c.slice]?.atUs;
  if (dueAtUs !== undefined && dueAtUs > nowUs) return waitUntil(c, dueAtUs);
  const asked = c.pendingDecision;
  if (asked && nowUs - asked.askedUs < c.cadenceUs) return waitUntil(c, asked.askedUs + c.cadenceUs);
  // an answer lost once (a restart between question and answer) is asked again; lost twice, an operator decides
  if (asked?.retried) {
    const late = `model ${params.model} did not answer slice ${asked.slice}'s decision within a slice (${c.cadenceUs / 1000} ms), twice`;
    return pause(c, late, nowUs);
  }
  const lotsLeft = lotsLeftOf(c, p);
  // the rest is open (IOC children on their way): decide once they are back
  if (lotsLeft <= 0) return waitUntil(c, nowUs + LOOK_AGAIN_US);
  const decisionsLeft = c.schedule.length - c.slice;
  if (decisionsLeft <= 1) return sendChild(c, p, lotsLeft * p.lotSize, c.slice, nowUs);
  const arrivalMid = c.tape?.arrivalMid ?? 0;
  if (!c.touch || !(arrivalMid > 0)) return waitUntil(c, nowUs + LOOK_AGAIN_US);
  const t = c.touch;
  const observation = liquidationObservation({
    side: p.side,
    decisions: c.schedule.length,
    decisionsLeft,
    lotsLeft,
    parentLots: Math.floor(p.quantity / p.lotSize),
    bid: toNumber(t.bid),
    ask: toNumber(t.ask),
    tick: toNumber(params.tickSize),
    touchLots: (p.side === "SELL" ? t.bidSize : t.askSize) / p.lotSize,
    arrivalMid,
  });
  const requestId = `${c.parentId}@${nowUs}`;
  const predict: Emitted = {
    type: "publish",
    subject: subjects.cmd("model", params.model),
    message: { type: "Predict", requestId, replyTo: subjects.cmd("execution-algo", c.parentId), row: observation, tsInit: nowUs },
  };
  return {
    context: {
      ...c,
      pendingDecision: { requestId, slice: c.slice, askedUs: nowUs, lotsLeft, decisionsLeft, observation, retried: asked !== null },
      // a policy that never answers is noticed a slice later
      nextAtUs: nowUs + c.cadenceUs,
    },
    emitted: [predict],
  };
}

/** The policy's answer: the child its action sizes, or a skipped slice when it waits; a failure pauses the parent. */
export function decidePrediction(c: AlgoContext, m: PredictionInput): Step {
  const asked = c.pendingDecision;
  if (!asked || asked.requestId !== m.requestId) return { context: c, emitted: [] };
  const cleared = { ...c, pendingDecision: null };
  const p = c.parent;
  // an answer after an amend (the schedule rebuilt) or outside work is stale: the next evaluation asks again
  if (!p || c.status !== AlgoStatus.Working || asked.slice !== c.slice) return { context: cleared, emitted: [] };
  const action = m.values?.[0];
  if (!m.ok || action === undefined || !Number.isFinite(action)) {
    const why = m.error ? `${m.error.code}: ${m.error.message}` : `no finite action in ${JSON.stringify(m.values ?? [])}`;
    return pause(cleared, `model ${m.model}: ${why}`, m.nowUs);
  }
  const lots = liquidationChildLots(action, Math.min(asked.lotsLeft, lotsLeftOf(c, p)), asked.decisionsLeft);
  if (lots > 0) return sendChild(cleared, p, lots * p.lotSize, asked.slice, m.nowUs);
  const skipped: AlgoEvent = {
    type: "AlgoSliceSkipped",
    parentId: c.parentId,
    slice: asked.slice,
    nextAtUs: followingAt(c, asked.slice, m.nowUs),
    why: `policy ${m.model} v${m.version} waits (action ${action.toFixed(4)})`,
    tsEvent: m.nowUs,
    tsInit: m.nowUs,
  };
  return journaled(evolve, cleared, [skipped]);
}
