import { $, esc } from "../dom.js";
import type { OrderRow } from "../../protocol.ts";
import { words } from "../actors.js";
import { fmtPx, timeOfUs } from "../format.js";

/** The order's state after an event, in words: OrderFilled with quantity left is "partially filled". */
export function orderStateText(o: OrderRow): string {
  if (o.event === "OrderFilled" && o.leavesQty !== undefined && Number(o.leavesQty) > 0) return "partially filled";
  return words(o.event.replace(/^Order/, ""));
}
import { state } from "../state.js";

/** The latest order events, newest first. */
export function renderOrders(): void {
  $("orders-count").textContent = state.orders.length ? `${state.orders.length} events` : "";
  $("orders-body").innerHTML = state.orders.length
    ? state.orders
        .slice(0, 200)
        .map((o) => {
          const info = o.reason ? `${o.reason}${o.message ? `: ${o.message}` : ""}` : (o.cause ?? o.liquidity ?? o.orderType ?? "");
          const cls = /Rejected|Denied/.test(o.event) ? "err" : o.event === "OrderFilled" ? "up" : "";
          return `<tr><td class="t dim">${timeOfUs(o.tsEvent)}</td><td class="mono">${esc(o.clientOrderId)}</td><td class="${cls}" title="${esc(o.event)}">${esc(orderStateText(o))}</td>
<td class="mono">${esc(o.instrument ?? "")}</td><td class="side-${esc(o.side)}">${esc(o.side ?? "")}</td><td class="r">${fmtPx(o.quantity)}</td><td class="r">${fmtPx(o.price)}</td>
<td class="r">${o.lastQty ? `${fmtPx(o.lastQty)} @ ${fmtPx(o.lastPx)}` : ""}</td><td class="r">${fmtPx(o.cumQty)}</td><td class="r">${fmtPx(o.leavesQty)}</td>
<td class="r">${fmtPx(o.avgPx)}</td><td class="dim" title="${esc(info)}">${esc(info)}</td></tr>`;
        })
        .join("")
    : `<tr><td colspan="12" class="empty">no order events on am.evt.order.&gt;</td></tr>`;
}
