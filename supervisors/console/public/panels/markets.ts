import { drawChart } from "../chart.js";
import { $, badge, closest, esc } from "../dom.js";
import { fmtPx, timeOfUs } from "../format.js";
import { state } from "../state.js";

/** Top of book per instrument; the charted one is marked. */
export function renderQuotes(): void {
  const rows = [...state.quotes.values()].sort((a, b) => a.instrument.localeCompare(b.instrument));
  $("quotes-body").innerHTML = rows.length
    ? rows
        .map(
          (q) => `<tr class="clickable${q.instrument === state.chartInstrument ? " sel" : ""}" data-instrument="${esc(q.instrument)}">
<td class="mono">${esc(q.instrument)}${q.crossed ? ` ${badge("failed", "crossed")}` : ""}</td><td class="r">${fmtPx(q.bidSize)}</td><td class="r up">${fmtPx(q.bid)}</td>
<td class="r down">${fmtPx(q.ask)}</td><td class="r">${fmtPx(q.askSize)}</td><td class="r ${(q.dir ?? 0) > 0 ? "up" : (q.dir ?? 0) < 0 ? "down" : ""}">${fmtPx(q.mid)}</td>
<td class="r">${Number(q.spreadBps).toFixed(2)}</td><td class="r dim">${q.updates}</td><td class="t dim">${timeOfUs(q.tsEvent)}</td></tr>`,
        )
        .join("")
    : `<tr><td colspan="9" class="empty">no quotes on am.md.quote.&gt;</td></tr>`;
}

/** The mid price history of the charted instrument. */
export function renderChart(): void {
  const i = state.chartInstrument;
  $("chart-title").textContent = i ? `${i} · mid` : "";
  drawChart($<HTMLCanvasElement>("chart"), i ? (state.history.get(i) ?? []) : [], { title: i ?? "" });
}

/** A click on a quote charts its instrument; the chart redraws at the window's new size. */
export function mountMarkets(): void {
  $("quotes-body").addEventListener("click", (e) => {
    const tr = closest(e, "tr[data-instrument]");
    if (!tr) return;
    state.chartInstrument = tr.dataset.instrument ?? null;
    renderQuotes();
    renderChart();
  });
  window.addEventListener("resize", renderChart);
}
