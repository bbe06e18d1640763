import { assign, enqueueActions, setup } from "xstate";
import { type GetOrder, type OrderEvent, orderEventTypes } from "../domain/index.ts";
import { type Emitted, subjects } from "../contract/index.ts";
import { capabilitiesOf, fullCapabilities, type VenueCapabilities, type VenueCapabilityTable } from "./capabilities.ts";
import { decide } from "./decide.ts";
import { type Decision, fold, type OrderCommandInput, settleReplaced } from "./decision.ts";
import { decideExpiry } from "./emulation.ts";
import { evolve } from "./evolve.ts";
import { isTerminal, OrdStatus, type OrderState, ordStatuses } from "./order-state.ts";
import { askDelayMs, decideVenueInquiry, defaultVenueInquiry, type VenueInquiry, venueWaitKey, waitsOnVenue } from "./venue-inquiry.ts";
import { answerGetOrder } from "./view.ts";

/** A journaled domain event fed back as input: applies it, emits nothing (replay and restore). */
export type OrderJournalInput = OrderEvent & { nowUs?: number };
/** A query (request/reply): answered from the state, never journaled. */
export type OrderQueryInput = GetOrder & { type: "GetOrder"; nowUs: number };
/**
 * What the venue did with the order meanwhile may not have reached it: restored in a new process, or this
 * process's NATS connection came back (ResumeOrder), or its venue session logged on again (VenueReconciled).
 */
export type OrderResumeInput = { type: "ResumeOrder"; nowUs: number } | { type: "VenueReconciled"; venue: string; nowUs: number };
export type OrderInput = OrderCommandInput | OrderJournalInput | OrderQueryInput | OrderResumeInput;

export interface OrderMachineInput {
  /** what a venue not in `venues` accepts (default: everything) */
  capabilities?: VenueCapabilities;
  /** what each named venue accepts natively; the rest is emulated (stops, GTD) or refused */
  venues?: VenueCapabilityTable;
  /** when an order the venue owes an answer asks after it (default: 2 s, doubling up to 30 s) */
  venueInquiry?: VenueInquiry;
}

export interface OrderContext {
  order: OrderState | null;
  capabilities: VenueCapabilities;
  venues: VenueCapabilityTable;
  /** clock of the local GTD timer: when it was armed to fire (timer bookkeeping, not journaled state) */
  expiryTimerAtUs: number;
  /** the clock at the last timer firing, for re-arming a timer that was capped */
  expiryClockUs: number;
  venueInquiry: VenueInquiry;
  /** the current wait on the venue (timer bookkeeping, not journaled state): what it waits for, asks sent in it */
  venueWait: { key: string; asks: number };
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
    waitsOnVenue: ({ context }) => waitsOnVenue(context.order),
    venueAnswered: ({ context }) => !waitsOnVenue(context.order),
    venueWaitChanged: ({ context }) => venueWaitKey(context.order) !== context.venueWait.key,
    ownVenue: ({ context, event }) => event.type === "VenueReconciled" && event.venue === context.order?.venue,
  },
  delays: {
    untilExpiry: ({ context, event }) => delayMs(context, nowOf(event as { nowUs?: unknown }, context)),
    venueDeadline: ({ context }) => askDelayMs(context.venueInquiry, context.venueWait.asks),
  },
  actions: {
    handle: enqueueActions(({ context, event, enqueue }) => {
      if (!isCommand(event)) return;
      // only a new order is routed: what it emulates is journaled with it, so a later change of venue rules
      // (or a replay) leaves it as it was decided
      const caps =
        event.type === "SubmitOrder" ? capabilitiesOf(context.venues, event.instrument, context.capabilities) : context.capabilities;
      const d = decide(context.order, event, caps);
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
     * FIX's order status request: on a deadline while the venue owes an answer, or on a resume (restore, NATS back,
     * venue session logged on again) for any order open at the venue. The venue connection answers with the
     * venue's reports, or closes the order with the reason when the venue does not know it.
     */
    askVenue: enqueueActions(({ context, event, enqueue }, params: { cause: "deadline" | "resume" }) => {
      const o = context.order;
      const nowUs = nowOf(event as { nowUs?: unknown }, context);
      const d = decideVenueInquiry(o, nowUs, params.cause);
      if (d.commands.length === 0 || o === null) return;
      enqueue.assign({ venueWait: { ...context.venueWait, asks: context.venueWait.asks + 1 } });
      for (const e of emitDecision(d, o)) enqueue.emit(e);
    }),
    beginVenueWait: assign({ venueWait: ({ context }) => ({ key: venueWaitKey(context.order), asks: 0 }) }),
    applyJournal: assign({
      order: ({ context, event }) =>
        isCommand(event) || event.type === "GetOrder" || event.type === "ResumeOrder" || event.type === "VenueReconciled"
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
  context: ({ input }) => ({
    order: null,
    capabilities: input?.capabilities ?? fullCapabilities,
    venues: input?.venues ?? {},
    expiryTimerAtUs: 0,
    expiryClockUs: 0,
    venueInquiry: input?.venueInquiry ?? defaultVenueInquiry,
    venueWait: { key: "", asks: 0 },
  }),
  on: {
    SubmitOrder: { actions: "handle" },
    CancelOrder: { actions: "handle" },
    ReplaceOrder: { actions: "handle" },
    ExecutionReport: { actions: "handle" },
    Quote: { actions: "handle" },
    Trade: { actions: "handle" },
    GetOrder: { actions: "answer" },
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
    /**
     * The venue owes an answer (new order, cancel or replace): ask after it on a deadline, then with backoff. A
     * change of what the order waits for starts a new wait; leaving the wait (or passivation) clears the timer, and
     * an entity with the timer armed is not passivated. A resume asks at once and restarts the deadline.
     */
    venue: {
      initial: "settled",
      states: {
        settled: {
          always: { guard: "waitsOnVenue", target: "waiting" },
          on: {
            ResumeOrder: { actions: { type: "askVenue", params: { cause: "resume" } } },
            VenueReconciled: { guard: "ownVenue", actions: { type: "askVenue", params: { cause: "resume" } } },
          },
        },
        waiting: {
          entry: "beginVenueWait",
          always: [
            { guard: "venueAnswered", target: "settled" },
            { guard: "venueWaitChanged", target: "waiting", reenter: true },
          ],
          on: {
            ResumeOrder: { target: ".asking", reenter: true, actions: { type: "askVenue", params: { cause: "resume" } } },
            VenueReconciled: {
              guard: "ownVenue",
              target: ".asking",
              reenter: true,
              actions: { type: "askVenue", params: { cause: "resume" } },
            },
          },
          initial: "asking",
          states: {
            asking: {
              after: { venueDeadline: { target: "asking", reenter: true, actions: { type: "askVenue", params: { cause: "deadline" } } } },
            },
          },
        },
      },
    },
  },
});

export type OrderMachine = typeof orderMachine;
