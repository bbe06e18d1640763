import type { BookFrame, KillSwitchView, RiskAlertRow } from "../../protocol.ts";
import { confirmAction, toast } from "../dialogs.js";
import { $, badge, closest, esc, table } from "../dom.js";
import { fmtDec, fmtPx, signClass, timeOfUs } from "../format.js";
import { call } from "../link.js";
import { state } from "../state.js";
import { analyticsCard } from "./analytics.js";
import { renderControls } from "./controls.js";
import { proposalsCard } from "./proposals.js";

const alertLevel = (event: string) =>
  event === "LimitBreached" || event === "KillSwitchEngaged"
    ? "failed"
    : event === "LimitCleared" || event === "KillSwitchReleased"
      ? "running"
      : "restarting";

/** An alert's detail: a limit alert's measure against its threshold (decimals), else its message. */
function alertText(a: RiskAlertRow): string {
  if (a.event !== "OrderDenied" && a.limit && a.value !== undefined) return `${a.limit} ${fmtPx(a.value)} / ${fmtPx(a.threshold)}`;
  return a.message ?? a.reason ?? a.by ?? "";
}

function bookCard(b: BookFrame): string {
  const r = b.report;
  const reported = r?.killSwitch?.book ?? r?.killSwitch?.global;
  const ks: KillSwitchView | null = reported ? { engaged: true, ...reported } : b.killSwitch;
  const engaged = !!ks?.engaged;
  const pnl = r?.pnl ?? {};
  const cell = (label: string, v: unknown) => `<div><span>${label}</span><b class="${signClass(v)}">${fmtDec(v)}</b></div>`;
  const positions = r?.positions ?? b.positions ?? [];
  const limits = r?.limits ?? [];
  return `<div class="book">
<div class="book-head"><span class="book-name">${esc(b.book)}</span>${engaged ? badge("failed", "kill switch ON") : badge("running", "trading")}
<button class="btn ${engaged ? "btn-ok" : "btn-danger"}" type="button" data-kill="${engaged ? "release" : "engage"}" data-book="${esc(b.book)}" data-hint="${engaged ? "Release" : "Engage"} the kill switch of ${esc(b.book)}">${engaged ? "Release kill switch" : "Kill switch"}</button></div>
${engaged ? `<div class="err">engaged by ${esc(ks?.by ?? "?")}: ${esc(ks?.reason ?? "")}</div>` : ""}
${b.reportError ? `<div class="dim">report: ${esc(b.reportError)}</div>` : ""}
<div class="pnl">${cell("Equity", pnl.equity)}${cell("Net P&L", pnl.net)}${cell("Daily", pnl.daily)}${cell("Drawdown", pnl.drawdown)}${cell("Realised", pnl.realised)}${cell("Unrealised", pnl.unrealised)}${cell("Fees", pnl.fees)}${cell("Cash", pnl.cash)}</div>
<h4>Positions</h4>
${table(
  ["Instrument", "Leg", "Qty", "Avg", "Mark", "uPnL", "rPnL"],
  positions.map((p) => [
    `<span class="mono">${esc(p.instrument)}</span>`,
    esc(p.leg),
    `<span class="mono ${signClass(p.quantity)}">${fmtPx(p.quantity)}</span>`,
    `<span class="mono">${fmtPx(p.avgPrice)}</span>`,
    `<span class="mono">${fmtPx(p.mark ?? "")}</span>`,
    `<span class="mono ${signClass(p.unrealisedPnl)}">${p.unrealisedPnl !== undefined ? fmtDec(p.unrealisedPnl) : ""}</span>`,
    `<span class="mono ${signClass(p.realisedPnl)}">${fmtDec(p.realisedPnl)}</span>`,
  ]),
  "flat",
)}
${
  limits.length
    ? `<h4>Limits</h4>${table(
        ["Limit", "Used", "Level"],
        limits.map((l) => [
          esc(l.limit),
          `<span class="mono">${Number(l.usedPct).toFixed(1)}%</span>`,
          badge(l.level === "BREACH" ? "failed" : l.level === "WARN" ? "restarting" : "running", l.level),
        ]),
        "",
      )}`
    : ""
}
<h4>Alerts</h4>
${table(
  ["Time", "Event", "Detail"],
  b.alerts
    .slice()
    .reverse()
    .slice(0, 8)
    .map((a) => [timeOfUs(a.tsEvent), badge(alertLevel(a.event), a.event), esc(alertText(a))]),
  "none",
)}
${proposalsCard(b.book)}
${analyticsCard(b.book)}
</div>`;
}

/** Each risk book: kill switch, P&L, positions, limits and its latest alerts. */
export function renderRisk(): void {
  const books = [...state.books.values()].sort((a, b) => a.book.localeCompare(b.book));
  if (!books.length) {
    $("risk-body").innerHTML = `<div class="empty">no risk books seen on am.evt.risk-book.&gt;</div>`;
    return;
  }
  $("risk-body").innerHTML = books.map(bookCard).join("");
  renderControls();
}

/** A kill switch button asks to confirm (and why), then engages or releases the book's kill switch. */
export function mountRisk(): void {
  $("risk-body").addEventListener("click", async (e) => {
    const b = closest<HTMLButtonElement>(e, "button[data-kill]");
    if (!b || b.disabled) return;
    const engage = b.dataset.kill === "engage";
    const book = b.dataset.book ?? "";
    const reason = await confirmAction({
      title: `${engage ? "Engage" : "Release"} the kill switch of ${book}?`,
      text: engage
        ? "Every new order of this book is denied until the kill switch is released."
        : "New orders of this book are allowed again.",
      reason: true,
      reasonRequired: engage,
      confirmLabel: engage ? "Engage" : "Release",
    });
    if (reason === null) return;
    const r = await call({ op: "killSwitch", engage, book, scope: "BOOK", ...(reason ? { reason } : {}) });
    toast(r.ok ? `${r.what}: done` : `${r.what ?? "kill switch"}: ${r.error?.message ?? "failed"}`, r.ok);
  });
}
