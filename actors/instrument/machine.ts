import { enqueueActions, setup } from "xstate";
import { type GetBook, TradingStatus } from "../domain/index.ts";
import type { Delivered, Emitted } from "../contract/index.ts";
import { FeedHandler } from "./feed-handler.ts";
import type { FeedHandlerOptions, RawFeedInput } from "./state.ts";

export type InstrumentInput = FeedHandlerOptions;

/**
 * What the runtime delivers: raw feed messages one by one, or many in one `RawBatch` (same outcome as delivering
 * the items one after another at the batch's nowUs, at a fraction of the transition cost), and `Tick`, a timer the
 * runtime delivers every so often so that quiet instruments still close bars, follow the calendar and repeat
 * unanswered snapshot requests.
 */
export type InstrumentEvent =
  | (RawFeedInput & Delivered)
  | ({ type: "RawBatch"; items: readonly RawFeedInput[] } & Delivered)
  | ({ type: "Tick" } & Delivered)
  | ({ type: "GetBook" } & Partial<GetBook> & Delivered);

export interface InstrumentContext {
  /** mutable on purpose (hot path); persistence mode `none`: after a restart the book is rebuilt by a snapshot request */
  handler: FeedHandler;
}

const statusState: Record<TradingStatus, string> = {
  [TradingStatus.PreOpen]: "preOpen",
  [TradingStatus.Open]: "open",
  [TradingStatus.Halted]: "halted",
  [TradingStatus.Closed]: "closed",
};

/** The state value mirrors the trading status the handler derived, so supervisors and the console can read it. */
const follow = (self: TradingStatus | null) =>
  (Object.keys(statusState) as TradingStatus[])
    .filter((s) => s !== self)
    .map((s) => ({ guard: { type: "statusIs" as const, params: { status: s } }, target: `#instrument.${statusState[s]}` }));

export const instrumentMachine = setup({
  types: {
    context: {} as InstrumentContext,
    input: {} as InstrumentInput,
    events: {} as InstrumentEvent,
    emitted: {} as Emitted,
  },
  guards: {
    statusIs: ({ context }, params: { status: TradingStatus }) => context.handler.status.status === params.status,
  },
  actions: {
    handle: enqueueActions(({ context, event, enqueue }) => {
      const out: Emitted[] = [];
      const h = context.handler;
      if (event.type === "Tick") h.tick(event.nowUs, out);
      else if (event.type === "RawBatch") {
        const items = Array.isArray(event.items) ? event.items : [event.items];
        for (let i = 0; i < items.length; i++) h.process(items[i], event.nowUs, out);
      } else h.process(event, event.nowUs, out);
      for (let i = 0; i < out.length; i++) enqueue.emit(out[i]!);
    }),
    /** A query: answers from the handler's book and last quote, changes nothing. */
    answerBook: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "GetBook") return;
      enqueue.emit({ type: "reply", ok: true, result: context.handler.bookView(event.depth ?? 10) });
    }),
  },
}).createMachine({
  id: "instrument",
  context: ({ input }) => ({ handler: new FeedHandler(input) }),
  initial: "starting",
  on: {
    RawQuote: { actions: "handle" },
    RawTrade: { actions: "handle" },
    RawBookUpdate: { actions: "handle" },
    RawStatus: { actions: "handle" },
    RawBatch: { actions: "handle" },
    Tick: { actions: "handle" },
    GetBook: { actions: "answerBook" },
  },
  states: {
    starting: { always: follow(null) },
    preOpen: { always: follow(TradingStatus.PreOpen) },
    open: { always: follow(TradingStatus.Open) },
    halted: { always: follow(TradingStatus.Halted) },
    closed: { always: follow(TradingStatus.Closed) },
  },
});
