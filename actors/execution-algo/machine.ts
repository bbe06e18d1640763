/**
 * The execution algorithm actor: idle → working ⇄ paused → completed | canceled, following `context.status`.
 * While working, the schedule's next evaluation is one delayed event (`after`), armed on entry and re-armed when
 * `nextAtUs` moves; leaving the state (pause, cancel, completion) cancels it, so no timer outlives its use.
 */
import { assign, enqueueActions, setup } from "xstate";
import { type Emitted, inputTime, unchanged } from "../contract/index.ts";
import {
  algoView,
  decideAmend,
  decideCancel,
  decideChildReport,
  decideEvaluate,
  decidePause,
  decideRefused,
  decideResume,
  decideStart,
  onQuote,
  onTrade,
  type Step,
} from "./decide.ts";
import { type AlgoEvent, algoEventTypes, evolve } from "./evolve.ts";
import { decidePrediction } from "./learned-parent.ts";
import type { AlgoInput } from "./inputs.ts";
import type { VenueTerms } from "./routing.ts";
import { type AlgoContext, AlgoStatus, initialContext } from "./state.ts";

/** setTimeout's limit; a later slice is re-armed when the capped timer fires. */
const MAX_DELAY_MS = 2_147_483_647;

export interface AlgoMachineInput {
  parentId: string;
  /** taker fee and latency of each venue a routed parent may use; a venue not named costs nothing */
  venues?: Record<string, VenueTerms>;
}

/** One input to its step; inputs the algorithm has no use for change nothing. */
export function step(c: AlgoContext, e: AlgoInput): Step {
  if (algoEventTypes.has(e.type)) return unchanged(evolve(c, e as AlgoEvent));
  switch (e.type) {
    case "StartAlgo":
      return decideStart(c, e);
    case "PauseAlgo":
      return decidePause(c, e);
    case "ResumeAlgo":
      return decideResume(c, e);
    case "AmendAlgo":
      return decideAmend(c, e);
    case "CancelAlgo":
      return decideCancel(c, e);
    case "GetAlgo":
      return { context: c, emitted: [{ type: "reply", ok: true, result: algoView(c) }] };
    case "ForwardRefused":
      return decideRefused(c, e);
    case "OrderAccepted":
    case "OrderFilled":
    case "OrderCanceled":
    case "OrderExpired":
    case "OrderRejected":
      return decideChildReport(c, e);
    case "Quote":
      return unchanged(onQuote(c, e));
    case "Trade":
      return unchanged(onTrade(c, e.instrument, e.price, e.size));
    case "Prediction":
      return decidePrediction(c, e);
    default:
      return unchanged(c);
  }
}

const follow = (from: AlgoStatus) =>
  Object.values(AlgoStatus)
    .filter((s) => s !== from)
    .map((status) => ({ guard: { type: "statusIs" as const, params: { status } }, target: `#algo.${status}` }));

export const algoMachine = setup({
  types: {
    context: {} as AlgoContext,
    events: {} as AlgoInput,
    input: {} as AlgoMachineInput,
    emitted: {} as Emitted,
  },
  delays: {
    nextSlice: ({ context }) => Math.min(MAX_DELAY_MS, Math.max(0, Math.ceil((context.nextAtUs - context.nowUs) / 1000))),
  },
  guards: {
    statusIs: ({ context }, params: { status: AlgoStatus }) => context.status === params.status,
    rearm: ({ context }) => context.armedAtUs !== context.nextAtUs,
  },
  actions: {
    handle: enqueueActions(({ context, event, enqueue }) => {
      const nowUs = inputTime(event, context.nowUs);
      const s = step({ ...context, nowUs }, { ...event, nowUs } as AlgoInput);
      for (const e of s.emitted) enqueue.emit(e);
      enqueue.assign(() => s.context);
    }),
    evaluate: enqueueActions(({ context, event, enqueue }) => {
      const nowUs = inputTime(event as { nowUs?: unknown }, context.nowUs);
      const s = decideEvaluate({ ...context, nowUs }, nowUs);
      for (const e of s.emitted) enqueue.emit(e);
      enqueue.assign(() => s.context);
    }),
    markArmed: assign({ armedAtUs: ({ context }) => context.nextAtUs }),
  },
}).createMachine({
  id: "algo",
  context: ({ input }) => initialContext(input.parentId, input.venues),
  initial: AlgoStatus.Idle,
  on: { "*": { actions: "handle" } },
  states: {
    [AlgoStatus.Idle]: { always: follow(AlgoStatus.Idle) },
    [AlgoStatus.Working]: {
      entry: "markArmed",
      always: [...follow(AlgoStatus.Working), { guard: "rearm", target: `#algo.${AlgoStatus.Working}`, reenter: true }],
      after: { nextSlice: { target: `#algo.${AlgoStatus.Working}`, reenter: true, actions: "evaluate" } },
    },
    [AlgoStatus.Paused]: { always: follow(AlgoStatus.Paused) },
    [AlgoStatus.Completed]: {},
    [AlgoStatus.Canceled]: {},
  },
});

export type AlgoMachine = typeof algoMachine;
