import { assign, emit, enqueueActions, setup } from "xstate";
import type { Emitted } from "../../contract/index.ts";
import { decideConnect, decideFailure, decideLive, disconnectMessage } from "./decide.ts";
import { afterDrop, afterProgress } from "./evolve.ts";
import {
  type FeedConnectionContext,
  type FeedConnectionEvent,
  type FeedConnectionConfig,
  feedConnectionSummary,
  initialContext,
  type Outcome,
} from "./state.ts";

/** The part of XState's enqueue an outcome needs: a patch is assigned only when it changes a field. */
interface Enqueue {
  assign(patch: Partial<FeedConnectionContext>): void;
  emit(e: Emitted): void;
}
function enact(enqueue: Enqueue, o: Outcome): void {
  if (Object.keys(o.patch).length > 0) enqueue.assign(o.patch);
  for (const e of o.emitted) enqueue.emit(e);
}

/**
 * One vendor feed session, pure: idle → connecting → streaming; a failure (refused, dropped, rate limited, no
 * answer in time) backs off exponentially with seeded jitter, and after `breakerThreshold` consecutive failures the
 * circuit opens for `breakerCooldownMs`, then one half-open try: success closes it, failure reopens it. The I/O
 * lives in the adapter (am.cmd.feed-adapter.<feed>); the machine keeps the watermarks the adapter reports so that a
 * reconnect, even by a new incarnation from its snapshot, resumes after the last record delivered.
 */
/** A connect in progress (first try, retry, or the half-open try): it ends connected, failed or timed out. */
const connectAttempt = {
  on: {
    FeedConnected: { target: "streaming", actions: ["clock", "live"] },
    FeedConnectFailed: { target: "failed", actions: ["clock", "failure"] },
    FeedDisconnected: { target: "failed", actions: ["clock", "failure"] },
  },
  after: { connectTimeout: { target: "failed", actions: ["elapseConnect", "timeoutDisconnect", "failure"] } },
} as const;

export const feedConnectionMachine = setup({
  types: {
    context: {} as FeedConnectionContext,
    events: {} as FeedConnectionEvent,
    emitted: {} as Emitted,
    input: {} as Partial<FeedConnectionConfig> & { feed: string },
  },
  guards: {
    breakerOpen: ({ context }) => context.breaker === "open",
  },
  delays: {
    backoff: ({ context }) => context.nextDelayMs,
    cooldown: ({ context }) => context.config.breakerCooldownMs,
    connectTimeout: ({ context }) => context.config.connectTimeoutMs,
  },
  actions: {
    clock: assign({
      nowUs: ({ context, event }) => (typeof event.nowUs === "number" ? Math.max(context.nowUs, event.nowUs) : context.nowUs),
    }),
    connect: enqueueActions(({ context, enqueue }) => enact(enqueue, decideConnect(context))),
    disconnect: emit(({ context }) => disconnectMessage(context, "stopped")),
    timeoutDisconnect: emit(({ context }) => disconnectMessage(context, "connect timeout")),
    live: enqueueActions(({ context, enqueue }) => enact(enqueue, decideLive(context))),
    progress: assign(({ context, event }) => (event.type === "FeedProgress" ? afterProgress(context, event) : {})),
    dropped: assign(({ context, event }) => afterDrop(context, event)),
    failure: enqueueActions(({ context, event, enqueue }) => enact(enqueue, decideFailure(context, event))),
    halfOpen: assign({ breaker: "half-open" as const }),
    /** timers move the connection's clock by their delay, so records and events carry time that passed */
    elapseBackoff: assign({ nowUs: ({ context }) => context.nowUs + context.nextDelayMs * 1000 }),
    elapseCooldown: assign({ nowUs: ({ context }) => context.nowUs + context.config.breakerCooldownMs * 1000 }),
    elapseConnect: assign({ nowUs: ({ context }) => context.nowUs + context.config.connectTimeoutMs * 1000 }),
    status: emit(({ context }) => ({ type: "reply" as const, ok: true as const, result: feedConnectionSummary(context) })),
  },
}).createMachine({
  id: "feedConnection",
  context: ({ input }) => initialContext(input),
  initial: "idle",
  on: {
    // A new incarnation (restart, move) starts over from `connecting`: the old session died with the old process.
    StartFeed: { target: ".connecting", actions: "clock" },
    StopFeed: { target: ".idle", actions: ["clock", "disconnect", emit({ type: "reply", ok: true, result: { stopped: true } })] },
    GetFeedConnection: { actions: ["clock", "status"] },
    FeedProgress: { actions: ["clock", "progress"] },
  },
  states: {
    idle: {},
    connecting: { entry: "connect", ...connectAttempt },
    streaming: {
      on: {
        FeedDisconnected: { target: "failed", actions: ["clock", "dropped", "failure"] },
      },
    },
    /** A failure was recorded: back off, or open the circuit. */
    failed: {
      always: [{ guard: "breakerOpen", target: "circuitOpen" }, { target: "backoff" }],
    },
    backoff: {
      after: { backoff: { target: "connecting", actions: "elapseBackoff" } },
    },
    /** No connects until the cool-off ends, then one half-open try. */
    circuitOpen: {
      after: { cooldown: { target: "halfOpen", actions: ["elapseCooldown", "halfOpen"] } },
    },
    /** One try: success closes the circuit, failure opens it again. */
    halfOpen: { entry: "connect", ...connectAttempt },
  },
});

export type FeedConnectionMachine = typeof feedConnectionMachine;
