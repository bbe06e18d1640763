/**
 * Operator approval of a strategy's trades: a `propose` intent parks its targets as the strategy's one pending
 * proposal (a newer one supersedes it); ApproveProposal sends them through the risk book like any targets, with
 * the positions of that moment; RejectProposal and expiry drop them. Every step is a domain event naming the
 * operator, so the event stream is the audit trail. The pending proposal is part of the session's snapshot, so a
 * restart or a move keeps it.
 */
import type { PortfolioProposal } from "../domain/index.ts";
import type { Emitted, ReplyError } from "../contract/index.ts";
import { type OrderRouting, routeIntents } from "./order-intents.ts";
import type { ProposeIntent, TargetIntent } from "./strategy.ts";

export interface PendingProposal {
  proposalId: string;
  createdUs: number;
  expiresUs: number;
  proposal: PortfolioProposal;
  targets: TargetIntent[];
}

/** The strategy's proposals as plain data (part of its snapshot). */
export interface ProposalRecord {
  pending: PendingProposal | undefined;
  /** proposals made so far: the next id's number */
  made: number;
  /** the last proposal that expired unapproved, so a late approval is told so */
  lapsed?: string | undefined;
}

export const ProposalRejectCode = {
  NotFound: "not-found",
  Expired: "PROPOSAL_EXPIRED",
} as const;

const domain = (event: { type: string; tsEvent: number; tsInit: number; [k: string]: unknown }): Emitted => ({ type: "domain", event });

export class OperatorApprovals {
  pending: PendingProposal | undefined;
  made = 0;
  lapsed: string | undefined;

  constructor(private readonly routing: OrderRouting) {}

  private stamp(nowUs: number) {
    return { strategy: this.routing.strategyId, book: this.routing.book, tsEvent: nowUs, tsInit: nowUs };
  }

  /** Parks the intent's targets as the pending proposal and announces it; a pending one lapses as SUPERSEDED. */
  propose(i: ProposeIntent, nowUs: number, out: Emitted[]): void {
    if (!(Number.isSafeInteger(i.expiresInMs) && i.expiresInMs > 0)) {
      throw new Error(`propose.expiresInMs: must be a positive integer, got ${i.expiresInMs}`);
    }
    const old = this.pending;
    if (old) out.push(domain({ type: "ProposalExpired", proposalId: old.proposalId, reason: "SUPERSEDED", ...this.stamp(nowUs) }));
    this.made++;
    const p: PendingProposal = {
      proposalId: `${this.routing.strategyId}-${nowUs}-${this.made}`,
      createdUs: nowUs,
      expiresUs: nowUs + i.expiresInMs * 1000,
      proposal: i.proposal,
      targets: [...i.targets],
    };
    this.pending = p;
    out.push(
      domain({ type: "ProposalMade", proposalId: p.proposalId, expiresUs: p.expiresUs, proposal: p.proposal, ...this.stamp(nowUs) }),
    );
  }

  /**
   * Drops a pending proposal whose time has come: at its deadline (the machine's delayed ProposalDeadline), or on
   * the first input after it where the deadline event has not run yet (a replay, a clock that jumped).
   */
  expire(nowUs: number, out: Emitted[]): void {
    const p = this.pending;
    if (!p || nowUs < p.expiresUs) return;
    this.pending = undefined;
    this.lapsed = p.proposalId;
    out.push(domain({ type: "ProposalExpired", proposalId: p.proposalId, reason: "EXPIRED", ...this.stamp(nowUs) }));
  }

  /** The deadline of `proposalId` has come: it lapses if it is still the pending one (a later one replaced its timer). */
  deadline(proposalId: string, nowUs: number, out: Emitted[]): void {
    const p = this.pending;
    if (p?.proposalId === proposalId) this.expire(Math.max(nowUs, p.expiresUs), out);
  }

  private find(proposalId: string, nowUs: number, out: Emitted[]): PendingProposal | ReplyError {
    this.expire(nowUs, out);
    const p = this.pending;
    if (p?.proposalId === proposalId) return p;
    return this.lapsed === proposalId
      ? { code: ProposalRejectCode.Expired, message: `proposalId: ${proposalId} expired unapproved` }
      : {
          code: ProposalRejectCode.NotFound,
          message: `proposalId: strategy ${this.routing.strategyId} has no pending proposal ${proposalId}${p ? ` (pending: ${p.proposalId})` : ""}`,
        };
  }

  /** Sends the approved targets through the risk book; answers with the orders they became. */
  approve(proposalId: string, by: string, reason: string | undefined, nowUs: number, out: Emitted[]): ReplyError | { orders: string[] } {
    const p = this.find(proposalId, nowUs, out);
    if (!("proposalId" in p)) return p;
    this.pending = undefined;
    const sent: Emitted[] = [];
    routeIntents(this.routing, p.targets, nowUs, sent);
    const orders = sent.flatMap((e) => (e.type === "forward" && e.message.type === "SubmitOrder" ? [String(e.message.clientOrderId)] : []));
    out.push(domain({ type: "ProposalApproved", proposalId, by, ...(reason ? { reason } : {}), orders, ...this.stamp(nowUs) }));
    out.push(...sent);
    return { orders };
  }

  reject(proposalId: string, by: string, reason: string | undefined, nowUs: number, out: Emitted[]): ReplyError | undefined {
    const p = this.find(proposalId, nowUs, out);
    if (!("proposalId" in p)) return p;
    this.pending = undefined;
    out.push(domain({ type: "ProposalRejected", proposalId, by, ...(reason ? { reason } : {}), ...this.stamp(nowUs) }));
    return undefined;
  }

  toPlain(): ProposalRecord {
    return { pending: this.pending, made: this.made, lapsed: this.lapsed };
  }

  restore(r: ProposalRecord | undefined): void {
    this.pending = r?.pending;
    this.made = r?.made ?? 0;
    this.lapsed = r?.lapsed;
  }
}
