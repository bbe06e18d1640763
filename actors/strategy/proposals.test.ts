import t from "tap";
import type { Emitted } from "../contract/index.ts";
import { portfolioRebalancer } from "./samples/portfolio-rebalancer.ts";
import { drive } from "./samples/testing.ts";
import { StrategySession } from "./session.ts";

const CALM = "CALM.XNAS";
const WILD = "WILD.XNAS";
const operator = {
  method: "risk-parity",
  lookbackBars: 20,
  rebalanceEveryBars: 25,
  capital: 100_000,
  approval: "operator",
  proposalTtlMs: 60_000,
};

/** A rebalancer that has seen 22 bars of both instruments: one rebalance is due on the last. */
function proposing(parameters: Record<string, unknown> = operator) {
  const d = drive(portfolioRebalancer, parameters, ["bar"], 1, [], [CALM, WILD]);
  for (let i = 0; i < 22; i++) {
    d.bar(100 * (1 + 0.004 * Math.sin(i * 1.3)), 0.1, 1_000_000, CALM);
    d.bar(50 * (1 + 0.01 * Math.cos(i * 0.7)), 0.1, 0, WILD);
  }
  return d;
}

const events = (out: Emitted[], type: string) =>
  out.flatMap((e) => (e.type === "domain" && e.event.type === type ? [e.event as Record<string, unknown>] : []));
const lastReply = (out: Emitted[]) => out.filter((e) => e.type === "reply").at(-1);

t.test("in operator mode a rebalance is proposed, not traded, and approval sends its trades as orders", async (t) => {
  const d = proposing();
  t.same(d.orders(), [], "nothing goes to the risk book before an operator approves");
  const [made] = events(d.emitted, "ProposalMade");
  t.ok(made, "the proposal is announced");
  const proposal = made!.proposal as {
    trades: { instrument: string; targetWeight: number; estimatedCost: number }[];
    objective: Record<string, number>;
  };
  t.same(proposal.trades.map((x) => x.instrument).sort(), [CALM, WILD]);
  t.ok(
    proposal.trades.every((x) => x.targetWeight > 0 && x.estimatedCost > 0),
    "weights and costs per trade",
  );
  t.ok(proposal.objective.volatility! > 0 && proposal.objective.turnover! > 0.99, "the objective's figures");
  d.send({ type: "GetProposals" });
  t.match(lastReply(d.emitted), { ok: true, result: { proposals: [{ proposalId: made!.proposalId }] } });
  d.send({ type: "ApproveProposal", proposalId: made!.proposalId, by: "alice", reason: "looks right" });
  t.match(lastReply(d.emitted), { ok: true, result: { proposalId: made!.proposalId, orders: [String, String] } });
  t.same(
    d
      .orders()
      .map((o) => o.instrument)
      .sort(),
    [CALM, WILD],
    "the approved targets became orders",
  );
  t.match(events(d.emitted, "ProposalApproved"), [
    { proposalId: made!.proposalId, by: "alice", reason: "looks right", strategy: "s1", book: "b1" },
  ]);
  d.send({ type: "ApproveProposal", proposalId: made!.proposalId, by: "alice" });
  t.match(lastReply(d.emitted), { ok: false, error: { code: "not-found", message: /^proposalId: / } }, "a proposal is approved once");
});

t.test("a rejected proposal trades nothing", async (t) => {
  const d = proposing();
  const [made] = events(d.emitted, "ProposalMade");
  d.send({ type: "RejectProposal", proposalId: made!.proposalId, by: "bob", reason: "too much turnover" });
  t.match(lastReply(d.emitted), { ok: true });
  t.match(events(d.emitted, "ProposalRejected"), [{ proposalId: made!.proposalId, by: "bob" }]);
  d.send({ type: "ApproveProposal", proposalId: made!.proposalId, by: "alice" });
  t.match(lastReply(d.emitted), { ok: false, error: { code: "not-found" } });
  t.same(d.orders(), []);
});

t.test("a proposal lapses after its time and can no longer be approved", async (t) => {
  const d = proposing();
  const [made] = events(d.emitted, "ProposalMade");
  d.send({ type: "ApproveProposal", proposalId: made!.proposalId, by: "alice" }, 60_000_001);
  t.match(lastReply(d.emitted), { ok: false, error: { code: "PROPOSAL_EXPIRED" } });
  t.match(events(d.emitted, "ProposalExpired"), [{ proposalId: made!.proposalId, reason: "EXPIRED" }]);
  t.same(d.orders(), []);
});

t.test("a proposal lapses at its deadline on the machine's clock, with no input arriving", async (t) => {
  const d = proposing();
  const [made] = events(d.emitted, "ProposalMade");
  d.elapse(59_999_000);
  t.same(events(d.emitted, "ProposalExpired"), [], "not before its time");
  d.elapse(1_000);
  t.match(events(d.emitted, "ProposalExpired"), [
    { proposalId: made!.proposalId, reason: "EXPIRED", tsEvent: made!.expiresUs, strategy: "s1", book: "b1" },
  ]);
  d.send({ type: "GetProposals" });
  t.match(lastReply(d.emitted), { ok: true, result: { proposals: [] } }, "nothing is pending after the deadline");
  d.send({ type: "ApproveProposal", proposalId: made!.proposalId, by: "alice" });
  t.match(lastReply(d.emitted), { ok: false, error: { code: "PROPOSAL_EXPIRED" } }, "a late approval is told it expired");
  t.same(d.orders(), []);
  t.equal(events(d.emitted, "ProposalExpired").length, 1, "expired once");
});

t.test("a newer proposal's deadline replaces the older one's; the older lapses as SUPERSEDED only", async (t) => {
  const d = proposing({ ...operator, proposalTtlMs: 3_600_000 });
  for (let i = 22; i < 47; i++) {
    d.bar(100 * (1 + 0.004 * Math.sin(i * 1.3)), 0.1, 60_000_000, CALM);
    d.bar(50 * (1 + 0.01 * Math.cos(i * 0.7)), 0.1, 0, WILD);
  }
  const made = events(d.emitted, "ProposalMade");
  t.equal(made.length, 2, "a second rebalance 25 bars later");
  const last = made.at(-1)!;
  const superseded = events(d.emitted, "ProposalExpired");
  t.match(superseded, [{ proposalId: made[0]!.proposalId, reason: "SUPERSEDED" }], "the first lapsed as SUPERSEDED when the next came");
  d.elapse(3_600_000_000);
  const expired = events(d.emitted, "ProposalExpired").filter((e) => e.reason === "EXPIRED");
  t.match(expired, [{ proposalId: last.proposalId, tsEvent: last.expiresUs }], "only the pending one expires at its deadline");
});

t.test("a pending proposal survives the session's snapshot and is approved after a restore", async (t) => {
  const d = proposing();
  const [made] = events(d.emitted, "ProposalMade");
  const session = d.actor.getSnapshot().context.session;
  const record = structuredClone(session.toPlain());
  const restored = new StrategySession(session.definition, session.config);
  restored.restore(record);
  t.equal(restored.approvals.pending?.proposalId, made!.proposalId);
  const out: Emitted[] = [];
  const r = restored.approvals.approve(made!.proposalId as string, "carol", undefined, restored.lastNowUs + 1, out);
  t.match(r, { orders: [String, String] });
  t.equal(out.filter((e) => e.type === "forward" && e.message.type === "SubmitOrder").length, 2);
});

t.test("automatic mode (the default) trades each rebalance at once", async (t) => {
  const d = proposing({ ...operator, approval: "automatic" });
  t.equal(d.orders().length, 2);
  t.same(events(d.emitted, "ProposalMade"), []);
});
