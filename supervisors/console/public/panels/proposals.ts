import { confirmAction, toast } from "../dialogs.js";
import { $, badge, closest, esc, table } from "../dom.js";
import { groupDigits, timeOfUs } from "../format.js";
import { call } from "../link.js";
import { state } from "../state.js";

const weight = (w: number): string => `${(w * 100).toFixed(1)}%`;
const qty = (units: number): string => groupDigits(String(units / 1e8));

/** The optimiser's proposals for a book, each with its trades and Approve / Reject for an operator. */
export function proposalsCard(book: string): string {
  const mine = state.proposals.filter((p) => p.book === book);
  if (!mine.length) return "";
  const operate = !!state.me?.canOperate;
  return mine
    .map((p) => {
      const o = p.proposal.objective;
      const buttons = `<button class="btn btn-ok" type="button" data-proposal="approve" data-strategy="${esc(p.strategy)}" data-id="${esc(p.proposalId)}"${operate ? "" : " disabled"}>Approve</button>
<button class="btn btn-danger" type="button" data-proposal="reject" data-strategy="${esc(p.strategy)}" data-id="${esc(p.proposalId)}"${operate ? "" : " disabled"}>Reject</button>`;
      return `<div class="proposal" data-proposal-id="${esc(p.proposalId)}">
<div class="book-head">${badge("restarting", "proposal")} <span class="mono">${esc(p.strategy)}</span> <span class="dim">${esc(p.proposal.method)}, expires ${timeOfUs(p.expiresUs)}</span> ${buttons}</div>
<div class="dim mono">vol ${((o.volatility ?? 0) * 100).toFixed(2)}% · turnover ${weight(o.turnover ?? 0)} · cost ${groupDigits(Math.round(o.estimatedCost ?? 0).toString())}</div>
${table(
  ["Instrument", "Qty now", "Qty target", "Weight now", "Weight target", "Cost"],
  p.proposal.trades.map((t) => [
    `<span class="mono">${esc(t.instrument)}</span>`,
    `<span class="mono">${qty(t.currentQuantity)}</span>`,
    `<span class="mono">${qty(t.targetQuantity)}</span>`,
    `<span class="mono">${weight(t.currentWeight)}</span>`,
    `<span class="mono">${weight(t.targetWeight)}</span>`,
    `<span class="mono">${groupDigits(Math.round(t.estimatedCost).toString())}</span>`,
  ]),
  "no trade",
)}</div>`;
    })
    .join("");
}

/** Approve or Reject asks to confirm (and why), then sends the decision signed with the operator's name. */
export function mountProposals(): void {
  $("risk-body").addEventListener("click", async (e) => {
    const b = closest<HTMLButtonElement>(e, "button[data-proposal]");
    if (!b || b.disabled) return;
    const approve = b.dataset.proposal === "approve";
    const strategy = b.dataset.strategy ?? "";
    const proposalId = b.dataset.id ?? "";
    const reason = await confirmAction({
      title: `${approve ? "Approve" : "Reject"} the proposal of ${strategy}?`,
      text: approve
        ? "Its trades go to the risk book as orders now."
        : "Nothing is traded; the strategy proposes again at its next rebalance.",
      reason: true,
      reasonRequired: false,
      confirmLabel: approve ? "Approve" : "Reject",
    });
    if (reason === null) return;
    const r = await call({ op: "proposal", decision: approve ? "approve" : "reject", strategy, proposalId, ...(reason ? { reason } : {}) });
    toast(r.ok ? `${r.what}: done` : `${r.what ?? "proposal"}: ${r.error?.message ?? "failed"}`, r.ok);
  });
}
