import type { LifecycleRow } from "../../protocol.ts";
import { $, badge, esc } from "../dom.js";
import { timeOfUs } from "../format.js";
import { state } from "../state.js";

const MAX_ROWS = 300;

/** A lifecycle event, a venue connection's event, or an operator's action (audit), shown alike. */
export type LogRow = Omit<LifecycleRow, "restarts"> & { restarts: number | "" };

/** A venue connection's events by how they look: what an operator must act on, a repair, and trading again. */
const VENUE_LEVEL: Record<string, string> = {
  VenueReportRefused: "failed",
  UnknownVenueOrderFound: "failed",
  VenueCircuitOpened: "failed",
  VenueKillSwitchActivated: "failed",
  VenueGapFilled: "restarting",
  VenueReconciled: "running",
  VenueKillSwitchReleased: "running",
};

function logRow(e: LogRow): string {
  const actor = e.kind ? `${e.kind}/${e.id}` : e.id;
  const level = e.event === "audit" ? "off" : (VENUE_LEVEL[e.event] ?? e.event);
  return `<tr><td class="t dim">${timeOfUs(e.tsEvent)}</td><td>${badge(level, e.event)}</td><td class="mono">${esc(actor)}</td><td class="mono dim">${esc(e.node)}</td><td class="r">${esc(e.event in VENUE_LEVEL ? "" : e.restarts)}</td><td class="${level === "failed" ? "err" : "dim"}" title="${esc(e.reason ?? "")}">${esc(e.reason ?? "")}</td></tr>`;
}

/** Adds one lifecycle or audit row on top, keeping the log's length bounded. */
export function appendLog(e: LogRow): void {
  const body = $<HTMLTableSectionElement>("log-body");
  body.insertAdjacentHTML("afterbegin", logRow(e));
  while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
}

/** The whole log from the lifecycle kept in state (after a snapshot). */
export function renderLog(): void {
  $("log-body").innerHTML = state.lifecycle.slice(0, MAX_ROWS).map(logRow).join("");
}
