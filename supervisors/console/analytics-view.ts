import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { appendedSubject, errorMessage, storedSubject, subjects } from "../../actors/contract/index.ts";
import { decodeMessage, type Message } from "../../infra/nats/codec.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import { riskAnalytics, strategyProposals } from "./admin-relay.ts";
import type { Push } from "./live-view.ts";
import type { ProposalView } from "./protocol.ts";

/** A book not reported yet is asked for its analytics at most this often (each answer costs the book a computation). */
const ASK_EVERY_MS = 60_000;
const proposalEvents = ["ProposalMade", "ProposalApproved", "ProposalRejected", "ProposalExpired"] as const;

/** An answer the page can draw: a book's report has every section (an older book answers something else). */
const isReport = (v: unknown): boolean => {
  const r = v as Record<string, unknown> | null;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.book === "string" &&
    ["valueAtRisk", "backtest", "stress", "counterparty"].every((k) => typeof r[k] === "object" && r[k] !== null)
  );
};

/**
 * The console's risk analytics and pending proposals: each book's latest scheduled report
 * (am.report.risk-book.<book>.RiskAnalytics), asked for once on demand while a book has none, and the proposals of
 * strategies in approval mode, followed by their events and read from each strategy the tree shows once (so one
 * made before the console started is shown too).
 */
export class AnalyticsView {
  private subs: Subscription[] = [];
  private readonly reports = new Map<string, unknown>();
  private readonly asked = new Map<string, number>();
  private readonly proposals = new Map<string, ProposalView>();
  private readonly strategiesAsked = new Set<string>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly push: Push,
    private readonly log: Logger,
  ) {}

  start(): void {
    const sub = (subject: string, on: (m: Message, subject: string) => void) =>
      this.subs.push(
        this.nc.subscribe(storedSubject(subject), {
          callback: (_e, msg) => {
            try {
              on(decodeMessage(msg.data, msg.headers, false).message, appendedSubject(msg.subject));
            } catch (e) {
              this.log.debug("console skipped a message it cannot decode", { subject: msg.subject, error: errorMessage(e) });
            }
          },
        }),
      );
    sub(subjects.reportAll("risk-book"), (m) => {
      if (isReport(m)) this.onReport(String(m.book), m);
    });
    for (const e of proposalEvents) sub(subjects.evtAny("strategy", e), (m) => this.onProposalEvent(m));
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }

  snapshot(): { analytics: { book: string; analytics: unknown }[]; proposals: ProposalView[] } {
    return {
      analytics: [...this.reports].map(([book, analytics]) => ({ book, analytics })),
      proposals: [...this.proposals.values()],
    };
  }

  private onReport(book: string, report: unknown): void {
    this.reports.set(book, report);
    this.push({ type: "analytics", book, analytics: report }, true);
  }

  /** Books without a report yet are asked once a minute at most: the schedule takes over once it publishes. */
  async askBooks(books: readonly string[], nowMs: number): Promise<void> {
    await Promise.all(
      books.map(async (book) => {
        if (this.reports.has(book) || nowMs - (this.asked.get(book) ?? Number.NEGATIVE_INFINITY) < ASK_EVERY_MS) return;
        this.asked.set(book, nowMs);
        const r = await riskAnalytics(this.nc, book, nowMs * 1000);
        if (r.ok && isReport(r.result) && !this.reports.has(book)) this.onReport(book, r.result);
      }),
    );
  }

  /** Strategies seen for the first time are asked for a pending proposal. */
  async askStrategies(strategies: readonly string[], nowMs: number): Promise<void> {
    const fresh = strategies.filter((s) => !this.strategiesAsked.has(s));
    for (const s of fresh) this.strategiesAsked.add(s);
    await Promise.all(
      fresh.map(async (strategy) => {
        const r = await strategyProposals(this.nc, strategy, nowMs * 1000);
        if (!r.ok) return;
        const result = r.result as { book?: string; proposals?: Omit<ProposalView, "strategy" | "book">[] };
        for (const p of result.proposals ?? []) {
          if (!this.proposals.has(p.proposalId)) this.proposals.set(p.proposalId, { ...p, strategy, book: String(result.book ?? "") });
        }
        if (result.proposals?.length) this.pushProposals();
      }),
    );
  }

  private onProposalEvent(m: Message): void {
    const id = String(m.proposalId);
    if (m.type === "ProposalMade") {
      this.proposals.set(id, {
        proposalId: id,
        strategy: String(m.strategy),
        book: String(m.book),
        createdUs: Number(m.tsEvent),
        expiresUs: Number(m.expiresUs),
        proposal: m.proposal as ProposalView["proposal"],
      });
    } else if (!this.proposals.delete(id)) return;
    this.pushProposals();
  }

  private pushProposals(): void {
    this.push({ type: "proposals", proposals: [...this.proposals.values()] }, false);
  }
}
