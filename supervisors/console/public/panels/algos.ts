import type { ActorView } from "../../protocol.ts";
import { $, badge, closest, esc, table } from "../dom.js";
import { fmtDec, timeOfMs } from "../format.js";
import { state } from "../state.js";

/**
 * What the execution-algo kind summarises of a parent (actors/execution-algo kind.ts). Amounts are 1e-8 units; the
 * server formats those it knows by name (quantity) as decimal strings, the others arrive as integers.
 */
interface AlgoSummary {
  status?: string;
  algo?: string;
  instrument?: string;
  side?: string;
  quantity?: Amount;
  filled?: Amount;
  open?: Amount;
  scheduled?: Amount;
  slice?: number;
  slices?: number;
}
type Amount = number | string;

/** An amount as a decimal string, exactly (integers of 1e-8 units are placed, never divided as floats). */
function decimalOf(v: Amount | undefined): string {
  if (typeof v === "string") return v;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) return "";
  const digits = String(Math.abs(v)).padStart(9, "0");
  return `${v < 0 ? "-" : ""}${digits.slice(0, -8)}.${digits.slice(-8)}`;
}

/** An amount for a ratio on screen (a float is fine for a bar's width). */
const size = (v: Amount | undefined): number => Number(decimalOf(v)) || 0;

const share = (part: Amount | undefined, whole: Amount | undefined): number =>
  size(whole) > 0 ? Math.min(1, Math.max(0, size(part) / size(whole))) : 0;

/**
 * How much of the parent is filled, as a bar (a <progress>: the page's CSP allows no inline styles); amber when
 * filled and open together are behind what the schedule says should be sent by now.
 */
function progress(s: AlgoSummary): string {
  const filled = share(s.filled, s.quantity);
  const behind = s.status === "working" && s.slices && size(s.filled) + size(s.open) < size(s.scheduled);
  const title = `filled ${fmtDec(decimalOf(s.filled))} · open ${fmtDec(decimalOf(s.open))}${s.slices ? ` · scheduled ${fmtDec(decimalOf(s.scheduled))}` : ""}`;
  return (
    `<progress class="algo-bar${behind ? " behind" : ""}" max="1000" value="${Math.round(filled * 1000)}" title="${esc(title)}"></progress>` +
    ` <span class="mono">${(filled * 100).toFixed(0)}%</span>`
  );
}

/** The parents (execution-algo actors) in the tree: running first, then by id. */
function parents(): (ActorView & { node: string })[] {
  const out: (ActorView & { node: string })[] = [];
  for (const n of state.tree)
    for (const c of n.cells ?? [])
      for (const k of c.kinds ?? []) if (k.kind === "execution-algo") for (const a of k.actors ?? []) out.push({ ...a, node: n.node });
  const rank = (a: ActorView) => ((a.context as AlgoSummary | undefined)?.status === "working" ? 0 : 1);
  return out.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}

/** Every parent order an algorithm or the router works: progress against its schedule, slices, status and node. */
export function renderAlgos(): void {
  const rows = parents();
  $("algos-at").textContent = state.treeAt ? timeOfMs(state.treeAt) : "";
  $("algos-body").innerHTML = table(
    ["Parent", "Algo", "Instrument", "Progress", "Filled / qty", "Slice", "Status"],
    rows.map((a) => {
      const s = (a.context ?? {}) as AlgoSummary;
      return [
        `<span class="mono" data-algo="${esc(a.id)}">${esc(a.id)}</span>`,
        `${esc(s.algo ?? "")} <span class="dim">${esc(s.side ?? "")}</span>`,
        `<span class="mono">${esc(s.instrument ?? "")}</span>`,
        size(s.quantity) > 0 ? progress(s) : "",
        `<span class="num" title="node ${esc(a.node)}">${fmtDec(decimalOf(s.filled))} / ${fmtDec(decimalOf(s.quantity))}</span>`,
        s.slices ? `<span class="num">${s.slice ?? 0}/${s.slices}</span>` : "—",
        badge(s.status ?? a.status ?? "unknown"),
      ];
    }),
    "no parent orders: start one with Trading.StartAlgo",
  );
}

/** A click on a parent opens its actor in the detail panel (state, recent events, controls). */
export function mountAlgos(select: (kind: string, id: string) => void): void {
  $("algos-body").addEventListener("click", (e) => {
    const cell = closest(e, "[data-algo]");
    if (cell) select("execution-algo", cell.dataset.algo ?? "");
  });
}
