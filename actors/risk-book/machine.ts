/**
 * The risk book actor (event-sourced). Every input is `{type, ...payload, nowUs}`; every output goes through
 * `emit()` as `domain` (journaled, then published), or `reply` (request/reply commands).
 *
 * Journal policy: commands, fills and order closes journal the events they cause; marks (MarkPrice, Quote,
 * Trade) are NOT journaled: they update the latest-mark table and the VaR return window in place (no per-tick
 * copy) and journal only what they change in the book: a new high-water mark (HighWaterMarkRaised, at most one
 * per `hwmStep` rise) and alert level crossings. After a restore the journal rebuilds the book exactly; marks and
 * the return window refill from market data delivered again, and unrealised P&L is recomputed from them.
 * Each domain event is also an input that re-applies it (replay), emitting nothing.
 */
import { enqueueActions, setup } from "xstate";
import {
  type CancelOrder,
  type CheckOrder,
  type OrderFilledFields,
  type orderClosedTypes,
  orderFilledFields,
  type ReplaceOrder,
  type SubmitOrder,
  type EngageKillSwitch,
  type FillFields,
  fillFields,
  type GetEquityCurve,
  type GetRiskAnalytics,
  type GetStrategyView,
  type GetRiskLimits,
  type GetRiskReport,
  type MarkPrice,
  type Quote,
  riskBookEventTypes,
  type RegisterInstrument,
  type ReleaseKillSwitch,
  type SetRiskLimits,
  type StartOfDay,
  type Trade,
  type Price,
} from "../domain/index.ts";
import { type Emitted, type ForwardRefused, messageDef } from "../contract/index.ts";
import { type AnalyticsSettings, defaultAnalyticsSettings } from "./analytics-settings.ts";
import { answerAnalytics, recordBacktest, scheduledAnalytics } from "./book-analytics.ts";
import { DenyReason } from "./deny-reason.ts";
import { evolve } from "./evolve.ts";
import {
  type BookDecision,
  decideCancelOrder,
  decideCheckOrder,
  decideReplaceOrder,
  decideSubmitOrder,
  fillFromOrderEvent,
  decideEngageKillSwitch,
  decideFill,
  decideGlobalKillSwitchHeard,
  decideMark,
  decideOrderClosed,
  decideRegisterInstrument,
  decideReleaseKillSwitch,
  decideSetRiskLimits,
  decideStartOfDay,
  decideStrategyView,
} from "./decide.ts";
import { type EquityCurve, type EquityCurveConfig, emptyEquityCurve, equityPoints, sampleDue, sampleEquity } from "./equity-curve.ts";
import { type MarkTable, totals } from "./portfolio.ts";
import { type RegimeHeard, type RegimeTable, hearRegime } from "./regime-caution.ts";
import { riskReport } from "./report.ts";
import { type BookConfig, openBook, type RiskBook, type RiskBookEvent } from "./state.ts";
import { emptyValuation, type Valuation, valuate } from "./valuation.ts";
import { defaultVarConfig, emptyReturnWindow, type ReturnWindow, sampleReturns, type VarConfig } from "./var.ts";
import { emptyVarHistory, type VarHistory } from "./var-history.ts";

export interface RiskBookContext {
  /** journaled state */
  book: RiskBook;
  /** not journaled: latest market prices, refilled after a restore */
  marks: MarkTable;
  /** not journaled: each instrument's regime caution (regime-caution.ts), refilled from the next estimates */
  regimes: RegimeTable;
  /** not journaled: return samples for VaR */
  returns: ReturnWindow;
  /** not journaled: market values kept incrementally for the per-mark path */
  valuation: Valuation;
  /** not journaled: bounded equity samples, kept in the kind's snapshot (see equity-curve.ts) */
  equityCurve: EquityCurve;
  /** not journaled: VaR forecasts beside the P&L that followed, kept in the kind's snapshot (see var-history.ts) */
  varHistory: VarHistory;
  /** how analytics are computed and how often they are published */
  analytics: AnalyticsSettings;
  /** when the next scheduled analytics report is due (0: at the first Tick, which arms it) */
  analyticsDueUs: number;
}

export interface RiskBookMachineInput {
  config: BookConfig;
  var?: VarConfig;
  equityCurve?: EquityCurveConfig;
  analytics?: AnalyticsSettings;
}

type In<T> = T & { nowUs: number };
type Stamped = { tsEvent: number; tsInit: number };
const riskBookEventTypeSet = new Set<string>(riskBookEventTypes);

export type RiskBookInputEvent =
  | In<{ type: "CheckOrder" } & CheckOrder>
  | In<{ type: "ApplyFill" | "OrderFilled" } & FillFields>
  | In<{ type: "OrderFilled" } & OrderFilledFields>
  | In<{ type: "SubmitOrder" } & SubmitOrder>
  | In<{ type: "CancelOrder" } & CancelOrder>
  | In<{ type: "ReplaceOrder" } & ReplaceOrder>
  | In<{ type: (typeof orderClosedTypes)[number]; clientOrderId: string } & Stamped>
  | In<{ type: "MarkPrice" } & MarkPrice>
  | In<{ type: "Quote" } & Quote>
  | In<{ type: "Trade" } & Trade>
  | In<{ type: "RegimeEstimated" } & RegimeHeard>
  | In<{ type: "SetRiskLimits" } & SetRiskLimits>
  | In<{ type: "EngageKillSwitch" } & EngageKillSwitch>
  | In<{ type: "ReleaseKillSwitch" } & ReleaseKillSwitch>
  | In<{ type: "StartOfDay" } & StartOfDay>
  | In<{ type: "RegisterInstrument" } & RegisterInstrument>
  | In<{ type: "GetRiskReport" } & GetRiskReport>
  | In<{ type: "GetRiskLimits" } & GetRiskLimits>
  | In<{ type: "GetEquityCurve" } & GetEquityCurve>
  | In<{ type: "GetStrategyView" } & GetStrategyView>
  | In<{ type: "GetRiskAnalytics" } & Partial<GetRiskAnalytics>>
  | In<{ type: "Tick" }>
  | In<ForwardRefused>
  | In<RiskBookEvent>;

function updateMark(ctx: RiskBookContext, instrument: string, bid?: Price, ask?: Price, last?: Price): void {
  let m = ctx.marks[instrument];
  if (!m) {
    m = {};
    ctx.marks[instrument] = m;
  }
  if (bid !== undefined) m.bid = bid;
  if (ask !== undefined) m.ask = ask;
  if (last !== undefined) m.last = last;
}

/** Money fields may arrive as plain numbers from the codec: the schema turns them into bigint. */
function normalisedFill(e: object): FillFields {
  return fillFields.parse(e);
}

function normalisedEvent(e: RiskBookEvent): RiskBookEvent {
  const def = messageDef(e.type);
  return def ? ({ ...(def.schema.parse(e) as object), type: e.type } as RiskBookEvent) : e;
}

type KillSwitchNews = In<Extract<RiskBookEvent, { type: "KillSwitchEngaged" | "KillSwitchReleased" }>>;

/**
 * A global kill switch event that is not a replay of this book's journal: heard live on am.evt.risk-book.* or read
 * back on catch-up, another book's or this book's own coming back.
 */
const globalSwitchNews = (e: RiskBookInputEvent): e is KillSwitchNews =>
  (e.type === "KillSwitchEngaged" || e.type === "KillSwitchReleased") &&
  (e as KillSwitchNews).scope === "GLOBAL" &&
  (e as { replay?: boolean }).replay !== true;

/** Queries answer from the context and change nothing. */
type Query = "report" | "limits" | "equityCurve";
const queries = new Set<unknown>(["report", "limits", "equityCurve"]);

/** Decides what an input does; undefined for inputs that change nothing and need no reply. */
export function route(ctx: RiskBookContext, e: RiskBookInputEvent): BookDecision | Query | undefined {
  const { book, marks } = ctx;
  const now = e.nowUs;
  switch (e.type) {
    case "CheckOrder":
      return decideCheckOrder(book, e, marks, now, undefined, ctx.regimes);
    case "ApplyFill":
      return decideFill(book, normalisedFill(e), marks, now);
    case "OrderFilled": {
      if (!("execId" in e)) return decideFill(book, normalisedFill(e), marks, now);
      const f = orderFilledFields.parse(e);
      const fill = fillFromOrderEvent(book, f);
      if (fill) return decideFill(book, fill, marks, now);
      return {
        book,
        events: [],
        reply: {
          type: "reply",
          ok: false,
          error: {
            code: DenyReason.UnknownOrder,
            message: `fill ${f.execId} of order ${f.clientOrderId}: the book has no open order ${f.clientOrderId} and the fill names no instrument`,
          },
        },
      };
    }
    case "SubmitOrder":
      return decideSubmitOrder(book, e, marks, now, ctx.regimes);
    case "CancelOrder":
      return decideCancelOrder(book, e);
    case "ReplaceOrder":
      return decideReplaceOrder(book, e, marks, now, ctx.regimes);
    case "ForwardRefused":
      // the order entity refused the approved order for good (its clientOrderId names another order): release it
      return e.messageType === "SubmitOrder" ? decideOrderClosed(book, e.key, e.error.code.slice(0, 64), now) : undefined;
    case "OrderCanceled":
    case "OrderRejected":
    case "OrderExpired":
      return decideOrderClosed(book, e.clientOrderId, e.type, now);
    case "MarkPrice":
    case "Quote":
    case "Trade": {
      if (e.type === "MarkPrice") updateMark(ctx, e.instrument, e.bid, e.ask, e.last);
      else if (e.type === "Quote") updateMark(ctx, e.instrument, e.bid, e.ask, undefined);
      else updateMark(ctx, e.instrument, undefined, undefined, e.price);
      const sampledBefore = ctx.returns.lastSampleUs;
      sampleReturns(ctx.returns, marks, book.markSource, now);
      if (ctx.returns.lastSampleUs !== sampledBefore) recordBacktest(ctx, book, now);
      return decideMark(book, marks, now, valuate(ctx.valuation, book, marks, e.instrument));
    }
    case "RegimeEstimated":
      hearRegime(ctx.regimes, e, book.limits);
      return undefined;
    case "SetRiskLimits":
      return decideSetRiskLimits(book, e, marks, now);
    case "EngageKillSwitch":
      return decideEngageKillSwitch(book, e, now);
    case "ReleaseKillSwitch":
      return decideReleaseKillSwitch(book, e, now);
    case "StartOfDay":
      return decideStartOfDay(book, e, marks, now);
    case "RegisterInstrument":
      return decideRegisterInstrument(book, e, now);
    case "GetStrategyView":
      return decideStrategyView(book, e.strategy, now);
    case "GetRiskReport":
      return "report";
    case "GetRiskLimits":
      return "limits";
    case "GetEquityCurve":
      return "equityCurve";
    default:
      return undefined;
  }
}

function answer(ctx: RiskBookContext, e: RiskBookInputEvent, q: Query): unknown {
  if (q === "limits") return ctx.book.limits;
  if (q === "equityCurve" && e.type === "GetEquityCurve")
    return { points: equityPoints(ctx.equityCurve, e.fromUs, e.toUs, e.limit ?? 1000) };
  return riskReport(ctx.book, ctx.marks, ctx.returns);
}

/** The equity after an input (marks, fills, commands), at most once per the curve's interval. */
function sampleCurve(ctx: RiskBookContext, book: RiskBook, nowUs: number): void {
  if (!sampleDue(ctx.equityCurve, nowUs)) return;
  sampleEquity(ctx.equityCurve, nowUs, totals(book.portfolio, book.instruments, ctx.marks, book.markSource).equity);
}

export const riskBookMachine = setup({
  types: {
    context: {} as RiskBookContext,
    input: {} as RiskBookMachineInput,
    events: {} as RiskBookInputEvent,
    emitted: {} as Emitted,
  },
}).createMachine({
  id: "risk-book",
  context: ({ input }) => ({
    book: openBook(input.config),
    marks: {},
    regimes: {},
    returns: emptyReturnWindow(input.var ?? defaultVarConfig),
    valuation: emptyValuation(),
    equityCurve: emptyEquityCurve(input.equityCurve),
    varHistory: emptyVarHistory(),
    analytics: input.analytics ?? defaultAnalyticsSettings,
    analyticsDueUs: 0,
  }),
  initial: "active",
  states: {
    active: {
      on: {
        "*": {
          actions: enqueueActions(({ context, event, enqueue }) => {
            // Another book's global kill switch is followed (journaled once here); news no newer than this book's
            // last change of it (its own events coming back, old ones read again) changes nothing. An own event
            // newer than the state is a replay by hand (no flag) and is applied below like one.
            const own = globalSwitchNews(event) && event.book === context.book.book;
            if (
              globalSwitchNews(event) &&
              (!own || event.tsEvent <= (context.book.killSwitch.globalChangedUs ?? Number.NEGATIVE_INFINITY))
            ) {
              const d = decideGlobalKillSwitchHeard(context.book, event, event.nowUs);
              if (d === undefined) return;
              enqueue.assign({ book: d.book });
              for (const ev of d.events) enqueue.emit({ type: "domain", event: ev });
              for (const p of d.publish ?? []) enqueue.emit(p);
              return;
            }
            if (riskBookEventTypeSet.has(event.type)) {
              // Replay: apply the journaled event, emit nothing.
              const book = evolve(context.book, normalisedEvent(event as RiskBookEvent));
              if (book !== context.book) enqueue.assign({ book });
              return;
            }
            if (event.type === "GetRiskAnalytics") {
              enqueue.emit(answerAnalytics(context, event));
              return;
            }
            if (event.type === "Tick") {
              const { dueUs, report } = scheduledAnalytics(context, event.nowUs);
              if (dueUs !== context.analyticsDueUs) enqueue.assign({ analyticsDueUs: dueUs });
              if (report) enqueue.emit(report);
              return;
            }
            const d = route(context, event);
            if (d === undefined) return;
            if (queries.has(d)) {
              enqueue.emit({ type: "reply", ok: true, result: answer(context, event, d as Query) });
              return;
            }
            const decided = d as BookDecision;
            sampleCurve(context, decided.book, event.nowUs);
            if (decided.book !== context.book) enqueue.assign({ book: decided.book });
            for (const ev of decided.events) enqueue.emit({ type: "domain", event: ev });
            for (const p of decided.publish ?? []) enqueue.emit(p);
            if (decided.reply) enqueue.emit(decided.reply);
          }),
        },
      },
    },
  },
});
