import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { instrumentId, quantity, stamped } from "./schemas.ts";

/**
 * A strategy in operator approval mode (the portfolio rebalancer's `approval: "operator"`) proposes trades instead
 * of sending them: it publishes ProposalMade, and its commands on am.cmd.strategy.<id> approve or reject it. The
 * decision events carry the operator's identity: they are the audit trail, kept in the event stream.
 */
const strategyId = z.string().min(1).max(64);
const proposalId = z.string().min(1).max(96);
const who = z.string().min(1).max(128);
const reason = z.string().max(256).optional();

export const proposedTrade = z.object({
  instrument: instrumentId,
  /** signed positions, integer quantity units */
  currentQuantity: quantity,
  targetQuantity: quantity,
  /** fractions of the strategy's capital */
  currentWeight: z.number(),
  targetWeight: z.number(),
  /** the trade's estimated cost in account currency (|Δ notional| × the strategy's cost estimate) */
  estimatedCost: z.number(),
});
export type ProposedTrade = z.output<typeof proposedTrade>;

export const portfolioProposal = z.object({
  /** the optimiser that produced the weights */
  method: z.string().min(1).max(64),
  capital: z.number(),
  /** the objective's figures at the proposed weights (expected return, variance, volatility, turnover, cost) */
  objective: z.record(z.string(), z.number()),
  trades: z.array(proposedTrade),
});
export type PortfolioProposal = z.output<typeof portfolioProposal>;

export const ProposalStatus = { Pending: "PENDING", Approved: "APPROVED", Rejected: "REJECTED", Expired: "EXPIRED" } as const;
export type ProposalStatus = (typeof ProposalStatus)[keyof typeof ProposalStatus];

export const ProposalMade = defineMessage(
  "ProposalMade",
  1,
  z.object({ strategy: strategyId, book: strategyId, proposalId, expiresUs: z.number().int(), proposal: portfolioProposal, ...stamped }),
  "A strategy in approval mode proposes trades; nothing is sent until an operator approves (ApproveProposal) before expiresUs.",
);
export type ProposalMade = MessageOf<typeof ProposalMade>;

export const ProposalApproved = defineMessage(
  "ProposalApproved",
  1,
  z.object({ strategy: strategyId, book: strategyId, proposalId, by: who, reason, orders: z.array(z.string()), ...stamped }),
  "An operator approved a proposal; its trades went to the risk book as these orders.",
);
export type ProposalApproved = MessageOf<typeof ProposalApproved>;

export const ProposalRejected = defineMessage(
  "ProposalRejected",
  1,
  z.object({ strategy: strategyId, book: strategyId, proposalId, by: who, reason, ...stamped }),
  "An operator rejected a proposal; nothing was traded.",
);
export type ProposalRejected = MessageOf<typeof ProposalRejected>;

export const ProposalExpired = defineMessage(
  "ProposalExpired",
  1,
  z.object({ strategy: strategyId, book: strategyId, proposalId, reason: z.enum(["EXPIRED", "SUPERSEDED"]), ...stamped }),
  "A proposal lapsed unapproved: its time ran out, or a newer proposal of the strategy replaced it.",
);
export type ProposalExpired = MessageOf<typeof ProposalExpired>;

export const ApproveProposal = defineMessage(
  "ApproveProposal",
  1,
  z.object({ proposalId, by: who, reason, ...stamped }),
  "Send a pending proposal's trades to the risk book as orders (the strategy must be running).",
);
export type ApproveProposal = MessageOf<typeof ApproveProposal>;

export const RejectProposal = defineMessage(
  "RejectProposal",
  1,
  z.object({ proposalId, by: who, reason, ...stamped }),
  "Drop a pending proposal; nothing is traded.",
);
export type RejectProposal = MessageOf<typeof RejectProposal>;

export const GetProposals = defineMessage("GetProposals", 1, z.object({ ...stamped }), "The strategy's pending proposal, if any.");
export type GetProposals = MessageOf<typeof GetProposals>;
