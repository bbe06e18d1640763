import { assign, enqueueActions, setup } from "xstate";
import { type GetOrder, type OrderEvent, orderEventTypes } from "../domain/index.ts";
import { type Emitted, subjects } from "../contract/index.ts";
import { fullCapabilities, type VenueCapabilities } from "./capabilities.ts";
import { decide } from "./decide.ts";
import { type Decision, fold, type OrderCommandInput, settleReplaced } from "./decision.ts";
import { decideExpiry } from "./emulation.ts";
import { evolve } from "./evolve.ts";
import { isTerminal, OrdStatus, type OrderState, ordStatuses } from "./order-state.ts";
import { answerGetOrder } from "./view.ts";

/** A journaled domain event fed back as input: applies it, emits nothing (replay and restore). */
export type OrderJournalInput = OrderEvent & { nowUs?: number };
/** A query (request/reply): answered from the state, never journaled. */
export type OrderQueryInput = GetOrder & { type: "GetOrder"; nowUs: number };
/** the order restored in a new process: what the venue did with it meanwhile may not have reached it */
export type OrderResumeInput = { type: "ResumeOrder"; nowUs: number };
export type OrderInput = OrderCommandInput | OrderJournalInput | OrderQueryInput | OrderResumeInput;

export interface OrderMachineInput {
  capabilities?: VenueCapabilities;
}

export interface OrderContext {
  order: OrderState | null;
  capabilities: VenueCapabilities;
  /** clock of the local GTD timer: when it was armed to fire (timer bookkeeping, not journaled state) */
  expiryTimerAtUs: number;
  /** the clock at the last timer firing, for re-arming a timer that was capped */
  expiryClockUs: number;
}

/** setTimeout's limit; a GTD further out is re-armed when the capped timer fires. */
const MAX_DELAY_MS = 2_147_483_647;

function nowOf(event: { nowUs?: unknown; tsEvent?: unknown }, context: OrderContext): number {
  if (typeof event.nowUs === "number") return event.nowUs;
  if (typeof event.tsEvent === "number") return event.tsEvent;
  return context.expiryClockUs;
}

function delayMs(context: OrderContext, nowUs: number): number {
  const due = context.order?.expireAtUs ?? nowUs;
  return Math.min(MAX_DELAY_MS, Math.max(0, Math.ceil((due - nowUs) / 1000)));
}

function emitDecision(d: Decision, order: OrderState | null): Emitted[] {
  const out: Emitted[] = d.events.map((event) => ({ type: "domain", event }));
  if (order !== null) {
    const subject = subjects.cmd("venue", order.venue);
    for (const message of d.commands) out.push({ type: "publish", subject, message });
  }
  if (d.reply) {
    const { type: _t, ...reply } = d.reply;
    out.push({ type: "reply", ...reply } as Emitted);
  }
  return out;
}

const isCommand = (e: OrderInput): e is OrderCommandInput =>
  e.type === "SubmitOrder" ||
  e.type === "CancelOrder" ||
  e.type === "ReplaceOrder" ||
  e.type === "ExecutionReport" ||
  e.type === "Quote" ||
  e.type === "Trade";

/** Status region: one state per FIX OrdStatus, following context.order.status after each event. */
const follow = (from: string) =>
  ordStatuses
    .filter((s) => s !== from)
    .map((s) => ({ guard: { type: "statusIs" as const, params: { status: s } }, target: `#order.status.${s}` }));

const statusStates = Object.fromEntries(
  ordStatuses.map((s) => [
    s,
    s === OrdStatus.Replaced
      ? { always: [{ guard: { type: "statusIs" as const, params: { status: s } }, actions: "settleReplaced" as const }, ...follow(s)] }
      : { always: follow(s) },
  ]),
);

/**
 * One order, event-sourced. Commands (SubmitOrder, CancelOrder, ReplaceOrder), venue execution reports and market
 * data (for emulated stops) are decided by `decide`; the resulting domain events are applied with `evolve` and
 * emitted. Each domain event is also accepted as input and only applied, so the journal rebuilds the state.
 */
export const orderMachine = setup({
  types: {
    context: {} as OrderContext,
    events: {} as OrderInput,
    emitted: {} as Emitted,
    input: {} as OrderMachineInput | undefined,
  },
  guards: {
    statusIs: ({ context }, params: { status: string }) => context.order?.status === params.status,
    expiryArmable: ({ context }) => {
      const o = context.order;
      return o?.emulatedGtd === true && o.expireAtUs !== undefined && !isTerminal(o.status);
    },
    closed: ({ context }) => context.order !== null && isTerminal(context.order.status),
    timerCapped: ({ context }) => context.order?.expireAtUs !== undefined && context.expiryTimerAtUs < context.order.expireAtUs,
  },
  delays: {
    untilExpiry: ({ context, event }) => delayMs(context, nowOf(event as { nowUs?: unknown }, context)),
  },
  actions: {
    handle: enqueueActions(({ context, event, enqueue }) => {
      if (!isCommand(event)) return;
      const d = decide(context.order, event, context.capabilities);
      const next = d.events.length > 0 ? fold(context.order, d.events) : context.order;
      if (next !== context.order) enqueue.assign({ order: next });
      for (const e of emitDecision(d, next ?? context.order)) enqueue.emit(e);
    }),
    answer: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "GetOrder") return;
      const { type: _t, ...reply } = answerGetOrder(context.order, event.clientOrderId);
      enqueue.emit({ type: "reply", ...reply } as Emitted);
    }),
    /**
     * FIX's order status request after a restart: an open order at the venue asks its venue connection, which
     * answers with the venue's reports, or closes the order with a reason when the venue does not know it.
     */
    askVenue: enqueueActions(({ context, event, enqueue }) => {
      const o = context.order;
      if (event.type !== "ResumeOrder" || o === null || isTerminal(o.status) || !o.atVenue) return;
      enqueue.emit({
        type: "publish",
        subject: subjects.cmd("venue", o.venue),
        message: {
          type: "VenueOrderStatusRequest",
          clientOrderId: o.clientOrderId,
          instrument: o.instrument,
          side: o.side,
          cumQty: o.cumQty,
          acknowledged: o.acked,
          tsEvent: event.nowUs,
          tsInit: event.nowUs,
        },
      });
    }),
    applyJournal: assign({
      order: ({ context, event }) =>
        isCommand(event) || event.type === "GetOrder" || event.type === "ResumeOrder"
          ? context.order
          : evolve(context.order, event as OrderJournalInput),
    }),
    settleReplaced: assign({ order: ({ context }) => (context.order ? settleReplaced(context.order) : null) }),
    armExpiry: assign({
      expiryTimerAtUs: ({ context, event }) => {
        const now = nowOf(event as { nowUs?: unknown }, context);
        return now + delayMs(context, now) * 1000;
      },
    }),
    rearmClock: assign({ expiryClockUs: ({ context }) => context.expiryTimerAtUs }),
    expireByTimer: enqueueActions(({ context, enqueue }) => {
      const o = context.order;
      if (o === null || o.expireAtUs === undefined) return;
      const d = decideExpiry(o, Math.max(context.expiryTimerAtUs, o.expireAtUs));
      if (d.events.length === 0) return;
      const next = fold(o, d.events);
      enqueue.assign({ order: next });
      for (const e of emitDecision(d, next)) enqueue.emit(e);
    }),
  },
}).createMachine({
  id: "order",
  type: "parallel",
  context: ({ input }) => ({ order: null, capabilities: input?.capabilities ?? fullCapabilities, expiryTimerAtUs: 0, expiryClockUs: 0 }),
  on: {
    SubmitOrder: { actions: "handle" },
    CancelOrder: { actions: "handle" },
    ReplaceOrder: { actions: "handle" },
    ExecutionReport: { actions: "handle" },
    Quote: { actions: "handle" },
    Trade: { actions: "handle" },
    GetOrder: { actions: "answer" },
    ResumeOrder: { actions: "askVenue" },
    ...Object.fromEntries(orderEventTypes.map((t) => [t, { actions: "applyJournal" as const }])),
  },
  states: {
    status: {
      initial: "NONE",
      states: { NONE: { always: follow("NONE") }, ...statusStates },
    },
    /** Local GTD: a timer (XState `after`) besides the expiry check on every delivered nowUs. */
    expiry: {
      initial: "off",
      states: {
        off: { always: { guard: "expiryArmable", target: "armed" } },
        armed: {
          entry: "armExpiry",
          always: { guard: "closed", target: "done" },
          after: {
            untilExpiry: [
              { guard: "timerCapped", target: "armed", reenter: true, actions: "rearmClock" },
              { target: "fired", actions: "expireByTimer" },
            ],
          },
        },
        fired: { always: { guard: "closed", target: "done" } },
        done: {},
      },
    },
  },
});

export type OrderMachine = typeof orderMachine;
