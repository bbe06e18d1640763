import { initialTransition } from "xstate";
import { defineKind, parseInstrumentId, subjects } from "../contract/index.ts";
import "../regime/index.ts"; // RegimeEstimated is known to the codec wherever a book hears it
import { approvedOrderForwards, killSwitchCancels } from "./decide.ts";
import { type RiskBookContext, riskBookMachine } from "./machine.ts";
import { type AnalyticsSettings, defaultAnalyticsSettings } from "./analytics-settings.ts";
import type { BookConfig } from "./state.ts";
import type { VarHistory } from "./var-history.ts";
import type { VarConfig } from "./var.ts";

/** What a node hosts risk books with: their configurations, and the instruments whose quotes mark them. */
export interface RiskBookHosting {
  /** the configuration of each book this node may host, by book id */
  books: ReadonlyMap<string, BookConfig>;
  /** instrument ids whose quotes the books take as marks (those their strategies trade), the same or per book */
  marked: readonly string[] | ((book: string) => readonly string[]);
  /** the analytics' schedule and settings (default: a report every 5 minutes) */
  analytics?: AnalyticsSettings;
  /** the VaR return window (default: a sample a minute, 500 kept, 99 %) */
  var?: VarConfig;
  /** a snapshot of the book at most this often while it changes, so a restart replays only the journal since (default 5 000) */
  snapshotEveryMs?: number;
  /**
   * the durable consumer of the event stream that archives the books' journals (the recorder's, into QuestDB): the
   * journal before each snapshot is purged as far as it has acknowledged; without one, the journal is kept whole
   */
  journalArchivedBy?: string;
}

/** What every book hears besides its quotes: its orders' events, and the global kill switch of every book. */
const heard = [
  subjects.evtAll("order"),
  subjects.evtAny("risk-book", "KillSwitchEngaged"),
  subjects.evtAny("risk-book", "KillSwitchReleased"),
];

/**
 * A risk book (id = book), event-sourced. It hears its orders' events by consuming am.evt.order.> (order events
 * carry no book): the machine acts only on orders it approved and ignores the rest. Only the journaled book is
 * snapshotted; marks, the VaR window and the valuation cache refill from market data.
 */
export const riskBookKind = ({
  books,
  marked,
  analytics = defaultAnalyticsSettings,
  var: varConfig,
  snapshotEveryMs = 5_000,
  journalArchivedBy,
}: RiskBookHosting) => {
  const configOf = (book: string): BookConfig => {
    const config = books.get(book);
    if (!config) throw new Error(`risk book ${book} has no configuration (known: ${[...books.keys()].join(", ")})`);
    return config;
  };
  return defineKind({
    name: "risk-book",
    machine: riskBookMachine,
    input: (book) => ({ config: configOf(book), analytics, ...(varConfig ? { var: varConfig } : {}) }),
    consumes: (book) => {
      const ids = typeof marked === "function" ? marked(book) : marked;
      // quotes mark the book; the regime actors' estimates scale its limits under regimeScale (regime-caution.ts)
      return [
        ...heard,
        ...ids.map((id) => subjects.md("quote", parseInstrumentId(id))),
        ...ids.map((id) => subjects.evt("regime", id, "RegimeEstimated")),
      ];
    },
    persistence: "event-sourced",
    // A book lives for months and journals every approval, release and fill (the demo's, 2 million a day): restored
    // from its stop's snapshot only, a crash cost a replay of everything since (72 µs an event, 2.5 minutes per day
    // up). A snapshot every few seconds bounds that to the seconds since. Kept whole, the journal filled AM_EVT
    // (which then refuses every append) in weeks; it is purged before each snapshot once archived (risk_events in
    // QuestDB, the record of the book's decisions, its denials included).
    snapshotEveryMs,
    ...(journalArchivedBy ? { compactJournal: { archivedBy: journalArchivedBy } } : {}),
    // order events and other books' global kill switch published while the book was down are read back from the
    // stream (fills de-duplicated by execId, kill switch news by its decision time)
    catchUp: { subjects: () => heard, overlapMs: 2_000 },
    // an approval whose forward was in flight when the book's process died still reaches its order, and so does
    // an engaged kill switch's cancel
    outbox: (c) => {
      const { book } = c as RiskBookContext;
      return [...approvedOrderForwards(book), ...killSwitchCancels(book)];
    },
    mailboxCapacity: 50_000,
    // the Tick that publishes the scheduled analytics when due (a few µs when not)
    ...(analytics.everyMs > 0 ? { tickEveryMs: Math.min(analytics.everyMs, 5_000) } : {}),
    persist: {
      // the journaled book plus the bounded equity curve and VaR backtest record (not journaled: they survive only
      // in the snapshot)
      toPlain: (c) => {
        const ctx = c as RiskBookContext;
        return { book: ctx.book, equityCurve: ctx.equityCurve, varHistory: ctx.varHistory };
      },
      // a fresh context (empty marks, VaR window and valuation cache) around the stored book and curve
      fromPlain: (p) => {
        const stored = p as { book: RiskBookContext["book"]; equityCurve?: RiskBookContext["equityCurve"]; varHistory?: VarHistory };
        const input = { config: configOf(stored.book.book), analytics, ...(varConfig ? { var: varConfig } : {}) };
        const fresh = initialTransition(riskBookMachine, input)[0].context;
        return {
          ...fresh,
          book: stored.book,
          equityCurve: stored.equityCurve ?? fresh.equityCurve,
          // the forecast in flight was for exposures the return window no longer knows: only closed intervals stay
          varHistory: stored.varHistory ? { ...stored.varHistory, forecast: undefined } : fresh.varHistory,
        };
      },
    },
    summarize: (c) => {
      const b = (c as RiskBookContext).book;
      return { pending: Object.keys(b.pending).length, killSwitch: b.killSwitch.book !== null || b.killSwitch.global !== null };
    },
  });
};
