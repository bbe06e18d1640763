import { z } from "zod";
import { subjects } from "../../actors/contract/index.ts";
import { Role } from "../auth.ts";
import { type ServiceRpcs, unary } from "../rpc.ts";
import { actorId, arr, dec, int, obj, reason, str } from "../validation.ts";
import type { Services } from "./context.ts";

/**
 * Portfolio.ListProposals / ApproveProposal / RejectProposal: commands to a strategy in operator approval mode
 * (am.cmd.strategy.<id>; actors/strategy/proposals.ts). The caller's JWT subject is the operator the strategy's
 * ProposalApproved / ProposalRejected event records.
 */

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const proposalId = z.string().min(1, "required").max(96, "at most 96 characters");

function proposalOut(strategy: string, book: string, v: unknown) {
  const x = obj(v);
  const p = obj(x.proposal);
  return {
    proposalId: str(x.proposalId),
    strategy,
    book,
    createdUs: int(x.createdUs),
    expiresUs: int(x.expiresUs),
    method: str(p.method),
    capital: num(p.capital),
    objective: Object.fromEntries(Object.entries(obj(p.objective)).map(([k, n]) => [k, num(n)])),
    trades: arr(p.trades).map((t) => {
      const y = obj(t);
      return {
        instrument: str(y.instrument),
        currentQuantity: dec(y.currentQuantity),
        targetQuantity: dec(y.targetQuantity),
        currentWeight: num(y.currentWeight),
        targetWeight: num(y.targetWeight),
        estimatedCost: num(y.estimatedCost),
      };
    }),
  };
}

/** An operator's decision on a proposal, signed with the caller's identity (the strategy journals it). */
function decisionMessage(
  type: "ApproveProposal" | "RejectProposal",
  req: { proposalId: string; reason?: string | undefined },
  by: string,
  ts: number,
) {
  return { type, proposalId: req.proposalId, by, ...(req.reason ? { reason: req.reason } : {}), tsEvent: ts, tsInit: ts };
}

export function proposalRpcs(s: Services): ServiceRpcs {
  const cmd = (id: string, message: { type: string; [k: string]: unknown }, remainingMs: number) =>
    s.bus.command(subjects.cmd("strategy", id), message, remainingMs);
  const decision = z.object({ strategy: actorId, proposalId, reason });
  return {
    ListProposals: unary({
      role: Role.Viewer,
      request: z.object({ strategy: actorId }),
      async handle(req, ctx) {
        const ts = ctx.nowUs();
        const r = obj(await cmd(req.strategy, { type: "GetProposals", tsEvent: ts, tsInit: ts }, ctx.remainingMs()));
        return { proposals: arr(r.proposals).map((p) => proposalOut(req.strategy, str(r.book), p)) };
      },
    }),
    ApproveProposal: unary({
      role: Role.Operator,
      request: decision,
      async handle(req, ctx) {
        const message = decisionMessage("ApproveProposal", req, ctx.principal.subject, ctx.nowUs());
        const r = obj(await cmd(req.strategy, message, ctx.remainingMs()));
        return { strategy: req.strategy, proposalId: req.proposalId, status: "APPROVED", orders: arr(r.orders).map(str) };
      },
    }),
    RejectProposal: unary({
      role: Role.Operator,
      request: decision,
      async handle(req, ctx) {
        const message = decisionMessage("RejectProposal", req, ctx.principal.subject, ctx.nowUs());
        await cmd(req.strategy, message, ctx.remainingMs());
        return { strategy: req.strategy, proposalId: req.proposalId, status: "REJECTED", orders: [] };
      },
    }),
  };
}
