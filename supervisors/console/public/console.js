// The supervisor console page: one WebSocket to the node (/ws), signed in with a bearer JWT kept in sessionStorage.
// Everything on screen comes from frames the server pushes; controls go back as frames and are checked server-side.
import { drawChart } from "./chart.js";

const $ = (id) => document.getElementById(id);
const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ESC[c]);
const TOKEN_KEY = "alphamind.console.token";

const state = {
  me: null,
  tree: [],
  treeAt: 0,
  lifecycle: [],
  quotes: new Map(),
  history: new Map(),
  orders: [],
  books: new Map(),
  health: null,
  selected: null,
  detail: null,
  chartInstrument: null,
  collapsed: new Set(),
  restartsSeen: new Map(),
  hot: new Map(),
  filter: "",
};

/* ---------- formatting ---------- */

const timeOfUs = (us) => (us ? new Date(Number(us) / 1000).toISOString().slice(11, 23) : "—");
const timeOfMs = (ms) => (ms ? new Date(ms).toISOString().slice(11, 23) : "—");
const groupDigits = (s) => s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** A decimal string of 1e-8 units rounded to `dp` places with grouped digits; exact (BigInt), never a float. */
function fmtDec(s, dp = 2) {
  if (s === null || s === undefined || s === "") return "—";
  const text = String(s);
  if (!/^-?\d+(\.\d+)?$/.test(text)) return esc(text);
  const neg = text.startsWith("-");
  const [i, f = ""] = (neg ? text.slice(1) : text).split(".");
  let n = BigInt(i) * 100000000n + BigInt((f + "00000000").slice(0, 8));
  const div = 10n ** BigInt(8 - dp);
  n = (n + div / 2n) / div;
  const scale = 10n ** BigInt(dp);
  const frac = dp ? `.${(n % scale).toString().padStart(dp, "0")}` : "";
  return `${neg && n !== 0n ? "-" : ""}${groupDigits((n / scale).toString())}${frac}`;
}
/** Prices keep their own precision (as formatted by the server), with grouped digits. */
function fmtPx(s) {
  if (s === null || s === undefined || s === "") return "";
  const [i, f] = String(s).split(".");
  return `${groupDigits(i)}${f ? `.${f}` : ""}`;
}
const fmtBytes = (b) => {
  const n = Number(b);
  if (n < 1024) return `${n} B`;
  const u = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let k = 0;
  while (v >= 1024 && k < u.length - 1) {
    v /= 1024;
    k++;
  }
  return `${v.toFixed(1)} ${u[k]}`;
};
const signClass = (s) => (String(s ?? "").startsWith("-") ? "down" : Number(s) > 0 ? "up" : "");
const badge = (status, text = status) => `<span class="badge st-${esc(String(status).toLowerCase())}">${esc(text)}</span>`;

/* ---------- connection ---------- */

let ws = null;
let reqSeq = 0;
const pending = new Map();
let retryMs = 500;
let reconnectTimer = null;

function setLink(kind, text) {
  $("link").className = `dot dot-${kind}`;
  $("link-text").textContent = text;
}

function connect() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    showSignIn("");
    return;
  }
  clearTimeout(reconnectTimer);
  setLink("wait", "connecting");
  ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  const me = ws;
  ws.addEventListener("open", () => me.send(JSON.stringify({ op: "hello", token })));
  ws.addEventListener("message", (e) => onFrame(JSON.parse(e.data)));
  ws.addEventListener("close", (e) => {
    if (ws !== me) return;
    for (const [, p] of pending) p({ ok: false, error: { code: "disconnected", message: "connection lost before the answer came" } });
    pending.clear();
    if (e.code === 4401) {
      setLink("off", "signed out");
      return;
    }
    setLink("off", "offline — retrying");
    reconnectTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  });
}

function call(frame) {
  const reqId = ++reqSeq;
  return new Promise((resolve) => {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      resolve({ ok: false, error: { code: "disconnected", message: "not connected to the node" } });
      return;
    }
    pending.set(reqId, resolve);
    ws.send(JSON.stringify({ ...frame, reqId }));
  });
}

function onFrame(f) {
  switch (f.type) {
    case "welcome":
      retryMs = 500;
      state.me = f;
      setLink("on", "live");
      $("who-sub").textContent = f.sub;
      $("who-role").textContent = f.role;
      $("who-role").className = `role role-${f.role}`;
      document.body.dataset.role = f.role;
      hideSignIn();
      renderControls();
      renderRisk();
      break;
    case "authError":
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn(f.message);
      break;
    case "snapshot":
      state.tree = f.tree;
      state.treeAt = f.treeAt;
      state.lifecycle = f.lifecycle.slice().reverse();
      for (const q of f.quotes) {
        const { history, ...row } = q;
        state.quotes.set(q.instrument, row);
        state.history.set(q.instrument, history);
      }
      state.orders = f.orders.slice().reverse();
      for (const b of f.books) state.books.set(b.book, b);
      state.health = f.health;
      if (!state.chartInstrument && state.quotes.size) state.chartInstrument = [...state.quotes.keys()].sort()[0];
      renderAll();
      break;
    case "tree":
      state.tree = f.nodes;
      state.treeAt = f.at;
      renderTree();
      renderDetail();
      break;
    case "lifecycle":
      state.lifecycle.unshift(f.event);
      if (state.lifecycle.length > 500) state.lifecycle.length = 500;
      appendLog(f.event);
      if (state.selected && f.event.kind === state.selected.kind && f.event.id === state.selected.id) renderDetail();
      break;
    case "audit":
      appendLog({ event: "audit", kind: "", id: f.what, node: f.sub, restarts: "", reason: f.ok ? "ok" : f.error, tsEvent: f.at * 1000 });
      break;
    case "quotes":
      for (const q of f.quotes) {
        const prev = state.quotes.get(q.instrument);
        q.dir = prev ? Math.sign(Number(q.mid) - Number(prev.mid)) || prev.dir || 0 : 0;
        state.quotes.set(q.instrument, q);
        let h = state.history.get(q.instrument);
        if (!h) {
          h = [];
          state.history.set(q.instrument, h);
        }
        h.push([f.at, Number(q.mid)]);
        if (h.length > 600) h.splice(0, h.length - 600);
      }
      if (!state.chartInstrument) state.chartInstrument = f.quotes[0].instrument;
      renderQuotes();
      renderChart();
      break;
    case "orders":
      for (const o of f.orders) state.orders.unshift(o);
      if (state.orders.length > 300) state.orders.length = 300;
      renderOrders();
      break;
    case "book":
      state.books.set(f.book, f);
      renderRisk();
      break;
    case "health":
      state.health = f.health;
      renderHealth();
      break;
    case "detail":
    case "result": {
      const p = pending.get(f.reqId);
      pending.delete(f.reqId);
      p?.(f);
      break;
    }
    case "error":
      toast(f.message, false);
      break;
  }
}

/* ---------- sign-in ---------- */

function showSignIn(message) {
  $("signin-error").textContent = message || "";
  if (!$("signin").open) $("signin").showModal();
}
function hideSignIn() {
  if ($("signin").open) $("signin").close();
}
$("signin-form").addEventListener("submit", (e) => {
  const token = $("signin-token").value.trim();
  if (!token) {
    e.preventDefault();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $("signin-token").value = "";
  connect();
});
$("signin").addEventListener("cancel", (e) => e.preventDefault());
$("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
  const old = ws;
  ws = null;
  old?.close();
  setLink("off", "signed out");
  renderControls();
  showSignIn("");
});

/* ---------- confirmation ---------- */

/** Asks the operator to confirm; resolves to the reason typed (or "") when confirmed, null when cancelled. */
function confirmAction({ title, text, reason = false, reasonRequired = false, confirmLabel = "Confirm" }) {
  const dlg = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-reason-label").hidden = !reason;
  $("confirm-reason").value = "";
  $("confirm-reason").required = reasonRequired;
  $("confirm-ok").textContent = confirmLabel;
  dlg.returnValue = "";
  dlg.showModal();
  if (reason) $("confirm-reason").focus();
  else $("confirm-cancel").focus();
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok" ? $("confirm-reason").value.trim() : null), { once: true });
  });
}

let toastTimer = null;
function toast(text, ok) {
  const t = $("toast");
  t.textContent = text;
  t.className = `toast show ${ok ? "ok" : "bad"}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    t.className = "toast";
  }, 4000);
}

/* ---------- supervision tree ---------- */

const actorKey = (a) => `${a.kind}/${a.id}`;

function findActor(kind, id) {
  for (const n of state.tree) {
    for (const c of n.cells ?? []) for (const k of c.kinds ?? []) for (const a of k.actors ?? []) if (a.kind === kind && a.id === id) return { ...a, node: n.node, cell: c.cell };
    const q = (n.quarantined ?? []).find((x) => x.key === `${kind}/${id}`);
    if (q) return { kind, id, status: "quarantined", reason: q.reason, node: n.node };
  }
  return null;
}

const statusOf = (a) => (a.status === "quarantined" || a.reason ? "quarantined" : a.status ?? "unknown");
const stateText = (v) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));

function actorRow(a, node) {
  const key = actorKey(a);
  const st = statusOf(a);
  const prev = state.restartsSeen.get(key);
  const restarts = Number(a.restarts ?? 0);
  if (prev !== undefined && restarts > prev) state.hot.set(key, Date.now());
  state.restartsSeen.set(key, restarts);
  const hot = Date.now() - (state.hot.get(key) ?? 0) < 1600;
  const sel = state.selected && state.selected.kind === a.kind && state.selected.id === a.id;
  const err = a.lastError ?? (st === "quarantined" ? a.reason : "");
  return `<tr class="clickable${sel ? " sel" : ""}${hot ? " hot" : ""}" data-kind="${esc(a.kind)}" data-id="${esc(a.id)}" data-status="${esc(st)}">
<td class="ind3" title="${esc(key)}">${esc(a.id)}</td><td class="mono">${esc(stateText(a.state))}</td>
<td>${badge(st)}</td><td class="r restarts${restarts ? " err" : ""}">${restarts}</td><td class="r">${a.mailbox ?? ""}</td>
<td class="r">${a.processed ?? ""}</td><td class="r">${a.deadLettered || ""}</td><td class="err" title="${esc(err)}">${esc(err)}</td><td class="mono dim">${esc(node)}</td></tr>`;
}

function groupRow(cls, key, indent, label, extra = "", cols = 8) {
  const open = !state.collapsed.has(key);
  return `<tr class="${cls}"><td class="${indent}"><span class="twisty" data-toggle="${esc(key)}">${open ? "▾" : "▸"}</span>${label}</td><td colspan="${cols}">${extra}</td></tr>`;
}

function renderTree() {
  const rows = [];
  const f = state.filter.toLowerCase();
  const match = (a) => !f || `${actorKey(a)} ${stateText(a.state)} ${statusOf(a)}`.toLowerCase().includes(f);
  let actors = 0;
  let restarts = 0;
  let quarantined = 0;
  const liveNodes = new Set();
  for (const n of state.tree) {
    for (const l of n.liveNodes ?? []) liveNodes.add(l);
    const nk = `n:${n.node}`;
    const all = (n.cells ?? []).flatMap((c) => (c.kinds ?? []).flatMap((k) => k.actors ?? []));
    const nq = new Set([...(n.quarantined ?? []).map((q) => q.key), ...all.filter((a) => statusOf(a) === "quarantined").map(actorKey)]);
    actors += all.length;
    quarantined += nq.size;
    restarts += all.reduce((s, a) => s + Number(a.restarts ?? 0), 0);
    rows.push(groupRow("g-node", nk, "", `node <b class="mono">${esc(n.node)}</b>`, `<span class="dim">${(n.cells ?? []).length} cells · ${all.length} actors${nq.size ? ` · <span class="err">${nq.size} quarantined</span>` : ""}</span>`));
    if (state.collapsed.has(nk)) continue;
    for (const c of n.cells ?? []) {
      const ck = `c:${n.node}/${c.cell}`;
      const sup = (n.supervisor ?? []).find((s) => s.id === `cell-${c.cell}`);
      rows.push(groupRow("g-cell", ck, "ind1", `cell-${c.cell}`, `${badge(c.status)} <span class="dim">restarts ${sup?.restarts ?? 0}</span>`));
      if (state.collapsed.has(ck)) continue;
      for (const k of c.kinds ?? []) {
        const shown = (k.actors ?? []).filter(match);
        // A kind with no actor in this cell is noise in a dense view; the node row still counts everything.
        if (!shown.length) continue;
        const kk = `k:${n.node}/${c.cell}/${k.kind}`;
        rows.push(groupRow("g-kind", kk, "ind2", esc(k.kind), `<span class="dim">${(k.actors ?? []).length} actors</span>`));
        if (state.collapsed.has(kk)) continue;
        for (const a of shown.sort((x, y) => String(x.id).localeCompare(String(y.id)))) rows.push(actorRow(a, n.node));
      }
    }
    const inCells = new Set(all.map(actorKey));
    const orphans = (n.quarantined ?? []).filter((q) => !inCells.has(q.key));
    if (orphans.length) {
      rows.push(groupRow("g-kind", `q:${n.node}`, "ind1", "quarantined (not running)", ""));
      for (const q of orphans) {
        const [kind, ...rest] = q.key.split("/");
        const a = { kind, id: rest.join("/"), status: "quarantined", reason: q.reason };
        if (match(a)) rows.push(actorRow(a, n.node));
      }
    }
  }
  $("tree-body").innerHTML = rows.length ? rows.join("") : `<tr><td colspan="9" class="empty">no node answered am.admin.tree</td></tr>`;
  $("kpi-nodes").textContent = String(Math.max(state.tree.length, liveNodes.size));
  $("kpi-actors").textContent = String(actors);
  $("kpi-restarts").textContent = String(restarts);
  $("kpi-quarantined").textContent = String(quarantined);
  $("kpi-quarantined").className = `num${quarantined ? " err" : ""}`;
}

$("tree-body").addEventListener("click", (e) => {
  const tw = e.target.closest("[data-toggle]");
  if (tw) {
    const k = tw.dataset.toggle;
    if (state.collapsed.has(k)) state.collapsed.delete(k);
    else state.collapsed.add(k);
    renderTree();
    return;
  }
  const tr = e.target.closest("tr[data-kind]");
  if (!tr) return;
  selectActor(tr.dataset.kind, tr.dataset.id);
});
$("tree-filter").addEventListener("input", (e) => {
  state.filter = e.target.value;
  renderTree();
});

setInterval(() => {
  $("kpi-tree-age").textContent = state.treeAt ? `${((Date.now() - state.treeAt) / 1000).toFixed(1)}s ago` : "—";
}, 500);

/* ---------- actor detail and controls ---------- */

async function selectActor(kind, id) {
  state.selected = { kind, id };
  state.detail = null;
  renderTree();
  renderDetail();
  renderControls();
  const d = await call({ op: "detail", kind, id });
  if (state.selected?.kind === kind && state.selected?.id === id) {
    state.detail = d;
    renderDetail();
  }
}

function renderDetail() {
  const s = state.selected;
  if (!s) return;
  $("detail-title").textContent = `${s.kind}/${s.id}`;
  const a = findActor(s.kind, s.id) ?? { kind: s.kind, id: s.id, status: "stopped" };
  const st = statusOf(a);
  const status = state.detail?.status?.result ?? {};
  const events = mergeEvents(state.detail?.events ?? [], state.lifecycle.filter((e) => e.kind === s.kind && e.id === s.id));
  const restartsHist = events.filter((e) => e.event === "failed" || e.event === "restarted" || e.event === "quarantined");
  const kv = (k, v) => `<dt>${esc(k)}</dt><dd>${v}</dd>`;
  const ctx = a.context ?? status.context;
  $("detail-body").innerHTML = `
<dl class="kv">
${kv("status", `${badge(st)}${st === "quarantined" ? ` <span class="dim">${esc(a.reason ?? status.reason ?? "")}</span>` : ""}`)}
${kv("state", esc(stateText(a.state ?? status.state)) || "—")}
${kv("node / cell", `${esc(a.node ?? status.node ?? "—")} / ${esc(a.cell ?? status.cell ?? "—")}`)}
${kv("restarts", `<span class="${Number(a.restarts) ? "err" : ""}">${esc(a.restarts ?? 0)}</span>`)}
${kv("mailbox", esc(a.mailbox ?? "—"))}
${kv("processed", esc(a.processed ?? "—"))}
${kv("dead-lettered", esc(a.deadLettered ?? 0))}
${kv("busy refusals", esc(a.busyRefusals ?? 0))}
${kv("started", a.startedAt ? timeOfMs(a.startedAt) : "—")}
${kv("last error", a.lastError ? `<span class="err">${esc(a.lastError)}</span>` : "—")}
</dl>
<h4>Context summary</h4>
${ctx && typeof ctx === "object" ? `<dl class="kv">${Object.entries(ctx).map(([k, v]) => kv(k, esc(typeof v === "object" ? JSON.stringify(v) : v))).join("")}</dl>` : `<div class="dim">${ctx === undefined ? "the kind has no summary" : esc(ctx)}</div>`}
<h4>Restart history</h4>
${table(["Time", "Event", "Restarts", "Reason"], restartsHist.slice(0, 20).map((e) => [timeOfUs(e.tsEvent), badge(e.event), e.restarts, `<span class="err">${esc(e.reason ?? "")}</span>`]), "no failures seen")}
<h4>Recent lifecycle events</h4>
${table(["Time", "Event", "Node", "Reason"], events.slice(0, 30).map((e) => [timeOfUs(e.tsEvent), badge(e.event), esc(e.node), esc(e.reason ?? "")]), "no events seen")}`;
  renderControls();
}

function mergeEvents(a, b) {
  const seen = new Set();
  const out = [];
  for (const e of [...a, ...b]) {
    const k = `${e.tsEvent}|${e.event}|${e.node}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
  }
  return out.sort((x, y) => Number(y.tsEvent) - Number(x.tsEvent));
}

function table(heads, rows, empty) {
  if (!rows.length) return `<div class="dim">${esc(empty)}</div>`;
  return `<table class="dense"><thead><tr>${heads.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

/** Controls are shown to everyone; for roles below the control role they are disabled and say which role is needed. */
function controlGate() {
  const me = state.me;
  if (!me) return { ok: false, why: "sign in first" };
  if (!me.canOperate) return { ok: false, why: `Needs role ${me.controlRole} or above (you are ${me.role})` };
  return { ok: true, why: "" };
}

function renderControls() {
  const gate = controlGate();
  const s = state.selected;
  const a = s ? findActor(s.kind, s.id) : null;
  const quarantined = a ? statusOf(a) === "quarantined" : false;
  for (const b of $("actor-controls").querySelectorAll("button")) {
    const act = b.dataset.action;
    const applicable = !!s && (act === "release" ? quarantined : act === "quarantine" ? !quarantined : !quarantined);
    b.disabled = !gate.ok || !applicable;
    b.title = !gate.ok ? gate.why : !s ? "select an actor first" : !applicable ? (act === "release" ? "the actor is not quarantined" : "the actor is quarantined: release it first") : `${act} ${s.kind}/${s.id}`;
  }
  for (const b of document.querySelectorAll("[data-kill]")) {
    b.disabled = !gate.ok;
    b.title = gate.ok ? b.dataset.hint : gate.why;
  }
}

const ACTION_TEXT = {
  restart: "The actor is stopped and started again from its last persisted state.",
  stop: "The actor is unassigned and stops on its node; placement will not run it until it is spawned again.",
  quarantine: "The actor is stopped and kept stopped, on every node, until an operator releases it.",
  release: "The quarantine is lifted and the actor starts again on its owner node.",
};

$("actor-controls").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-action]");
  if (!b || b.disabled || !state.selected) return;
  const { kind, id } = state.selected;
  const action = b.dataset.action;
  const reason = await confirmAction({
    title: `${action[0].toUpperCase()}${action.slice(1)} ${kind}/${id}?`,
    text: ACTION_TEXT[action],
    reason: action === "quarantine",
    reasonRequired: action === "quarantine",
    confirmLabel: action[0].toUpperCase() + action.slice(1),
  });
  if (reason === null) return;
  const r = await call({ op: "action", action, kind, id, ...(action === "quarantine" ? { reason } : {}) });
  toast(r.ok ? `${r.what}: done` : `${r.what ?? action}: ${r.error?.message ?? "failed"}`, r.ok);
  if (r.ok) selectActor(kind, id);
});

/* ---------- markets ---------- */

function renderQuotes() {
  const rows = [...state.quotes.values()].sort((a, b) => a.instrument.localeCompare(b.instrument));
  $("quotes-body").innerHTML = rows.length
    ? rows
        .map(
          (q) => `<tr class="clickable${q.instrument === state.chartInstrument ? " sel" : ""}" data-instrument="${esc(q.instrument)}">
<td class="mono">${esc(q.instrument)}${q.crossed ? ` ${badge("failed", "crossed")}` : ""}</td><td class="r">${fmtPx(q.bidSize)}</td><td class="r up">${fmtPx(q.bid)}</td>
<td class="r down">${fmtPx(q.ask)}</td><td class="r">${fmtPx(q.askSize)}</td><td class="r ${q.dir > 0 ? "up" : q.dir < 0 ? "down" : ""}">${fmtPx(q.mid)}</td>
<td class="r">${Number(q.spreadBps).toFixed(2)}</td><td class="r dim">${q.updates}</td><td class="t dim">${timeOfUs(q.tsEvent)}</td></tr>`,
        )
        .join("")
    : `<tr><td colspan="9" class="empty">no quotes on am.md.quote.&gt;</td></tr>`;
}
$("quotes-body").addEventListener("click", (e) => {
  const tr = e.target.closest("tr[data-instrument]");
  if (!tr) return;
  state.chartInstrument = tr.dataset.instrument;
  renderQuotes();
  renderChart();
});

function renderChart() {
  const i = state.chartInstrument;
  $("chart-title").textContent = i ? `${i} · mid` : "";
  drawChart($("chart"), i ? state.history.get(i) ?? [] : [], { title: i ?? "" });
}
window.addEventListener("resize", renderChart);

/* ---------- orders ---------- */

function renderOrders() {
  $("orders-count").textContent = state.orders.length ? `${state.orders.length} events` : "";
  $("orders-body").innerHTML = state.orders.length
    ? state.orders
        .slice(0, 200)
        .map((o) => {
          const info = o.reason ? `${o.reason}${o.message ? `: ${o.message}` : ""}` : (o.cause ?? o.liquidity ?? o.orderType ?? "");
          const cls = /Rejected|Denied/.test(o.event) ? "err" : o.event === "OrderFilled" ? "up" : "";
          return `<tr><td class="t dim">${timeOfUs(o.tsEvent)}</td><td class="mono">${esc(o.clientOrderId)}</td><td class="${cls}">${esc(o.event)}</td>
<td class="mono">${esc(o.instrument ?? "")}</td><td class="side-${esc(o.side)}">${esc(o.side ?? "")}</td><td class="r">${fmtPx(o.quantity)}</td><td class="r">${fmtPx(o.price)}</td>
<td class="r">${o.lastQty ? `${fmtPx(o.lastQty)} @ ${fmtPx(o.lastPx)}` : ""}</td><td class="r">${fmtPx(o.cumQty)}</td><td class="r">${fmtPx(o.leavesQty)}</td>
<td class="r">${fmtPx(o.avgPx)}</td><td class="dim" title="${esc(info)}">${esc(info)}</td></tr>`;
        })
        .join("")
    : `<tr><td colspan="12" class="empty">no order events on am.evt.order.&gt;</td></tr>`;
}

/* ---------- risk ---------- */

function renderRisk() {
  const books = [...state.books.values()].sort((a, b) => a.book.localeCompare(b.book));
  if (!books.length) {
    $("risk-body").innerHTML = `<div class="empty">no risk books seen on am.evt.risk-book.&gt;</div>`;
    return;
  }
  $("risk-body").innerHTML = books
    .map((b) => {
      const r = b.report;
      const ks = r?.killSwitch?.book || r?.killSwitch?.global ? { engaged: true, ...(r.killSwitch.book ?? r.killSwitch.global) } : b.killSwitch;
      const engaged = !!ks?.engaged;
      const pnl = r?.pnl ?? {};
      const cell = (label, v) => `<div><span>${label}</span><b class="${signClass(v)}">${fmtDec(v)}</b></div>`;
      const positions = r?.positions ?? b.positions ?? [];
      const limits = r?.limits ?? [];
      return `<div class="book">
<div class="book-head"><span class="book-name">${esc(b.book)}</span>${engaged ? badge("failed", "kill switch ON") : badge("running", "trading")}
<button class="btn ${engaged ? "btn-ok" : "btn-danger"}" type="button" data-kill="${engaged ? "release" : "engage"}" data-book="${esc(b.book)}" data-hint="${engaged ? "Release" : "Engage"} the kill switch of ${esc(b.book)}">${engaged ? "Release kill switch" : "Kill switch"}</button></div>
${engaged ? `<div class="err">engaged by ${esc(ks.by ?? "?")}: ${esc(ks.reason ?? "")}</div>` : ""}
${b.reportError ? `<div class="dim">report: ${esc(b.reportError)}</div>` : ""}
<div class="pnl">${cell("Equity", pnl.equity)}${cell("Net P&L", pnl.net)}${cell("Daily", pnl.daily)}${cell("Drawdown", pnl.drawdown)}${cell("Realised", pnl.realised)}${cell("Unrealised", pnl.unrealised)}${cell("Fees", pnl.fees)}${cell("Cash", pnl.cash)}</div>
<h4>Positions</h4>
${table(
  ["Instrument", "Leg", "Qty", "Avg", "Mark", "uPnL", "rPnL"],
  positions.map((p) => [`<span class="mono">${esc(p.instrument)}</span>`, esc(p.leg), `<span class="mono ${signClass(p.quantity)}">${fmtPx(p.quantity)}</span>`, `<span class="mono">${fmtPx(p.avgPrice)}</span>`, `<span class="mono">${fmtPx(p.mark ?? "")}</span>`, `<span class="mono ${signClass(p.unrealisedPnl)}">${p.unrealisedPnl !== undefined ? fmtDec(p.unrealisedPnl) : ""}</span>`, `<span class="mono ${signClass(p.realisedPnl)}">${fmtDec(p.realisedPnl)}</span>`]),
  "flat",
)}
${limits.length ? `<h4>Limits</h4>${table(["Limit", "Used", "Level"], limits.map((l) => [esc(l.limit), `<span class="mono">${Number(l.usedPct).toFixed(1)}%</span>`, badge(l.level === "BREACH" ? "failed" : l.level === "WARN" ? "restarting" : "running", l.level)]), "")}` : ""}
<h4>Alerts</h4>
${table(
  ["Time", "Event", "Detail"],
  b.alerts
    .slice()
    .reverse()
    .slice(0, 8)
    .map((a) => [timeOfUs(a.tsEvent), badge(a.event === "LimitBreached" || a.event === "KillSwitchEngaged" ? "failed" : a.event === "LimitCleared" || a.event === "KillSwitchReleased" ? "running" : "restarting", a.event), esc(a.limit ? `${a.limit} ${a.value ?? ""} / ${a.threshold ?? ""}` : (a.message ?? a.reason ?? a.by ?? ""))]),
  "none",
)}
</div>`;
    })
    .join("");
  renderControls();
}

$("risk-body").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-kill]");
  if (!b || b.disabled) return;
  const engage = b.dataset.kill === "engage";
  const book = b.dataset.book;
  const reason = await confirmAction({
    title: `${engage ? "Engage" : "Release"} the kill switch of ${book}?`,
    text: engage ? "Every new order of this book is denied until the kill switch is released." : "New orders of this book are allowed again.",
    reason: true,
    reasonRequired: engage,
    confirmLabel: engage ? "Engage" : "Release",
  });
  if (reason === null) return;
  const r = await call({ op: "killSwitch", engage, book, scope: "BOOK", ...(reason ? { reason } : {}) });
  toast(r.ok ? `${r.what}: done` : `${r.what ?? "kill switch"}: ${r.error?.message ?? "failed"}`, r.ok);
});

/* ---------- health ---------- */

function renderHealth() {
  const h = state.health;
  if (!h) return;
  $("health-at").textContent = timeOfMs(h.at);
  const card = (title, ok, value, error) => `<div class="health-card"><div class="t">${esc(title)} ${badge(ok ? "ok" : "bad", ok ? "ok" : "down")}</div><div class="v">${value}</div>${error ? `<div class="e">${esc(error)}</div>` : ""}</div>`;
  const n = h.nats;
  const q = h.questdb;
  const streams = h.jetstream.streams;
  $("health-body").innerHTML = `<div class="health-grid">
${card("NATS", n.ok, `${esc(n.version ?? "")} rtt ${n.rttMs ?? "—"} ms${n.healthz ? ` · healthz ${esc(n.healthz)}` : ""}`, n.error)}
${card("JetStream", h.jetstream.ok, `${streams.length} streams · ${groupDigits(String(streams.reduce((s, x) => s + x.messages, 0)))} msgs`, h.jetstream.error)}
${q.configured ? card("QuestDB", q.ok, q.ok ? `SELECT 1 in ${q.latencyMs} ms` : "unreachable", q.error) : card("QuestDB", false, "not configured", "")}
</div>
${table(["Stream", "Messages", "Bytes", "Consumers", "Last seq"], streams.map((s) => [`<span class="mono">${esc(s.name)}</span>`, `<span class="mono">${groupDigits(String(s.messages))}</span>`, `<span class="mono">${fmtBytes(s.bytes)}</span>`, `<span class="mono">${s.consumers}</span>`, `<span class="mono dim">${s.lastSeq}</span>`]), "no streams")}`;
}

/* ---------- lifecycle and audit log ---------- */

function logRow(e) {
  const actor = e.kind ? `${e.kind}/${e.id}` : e.id;
  return `<tr><td class="t dim">${timeOfUs(e.tsEvent)}</td><td>${badge(e.event === "audit" ? "off" : e.event, e.event)}</td><td class="mono">${esc(actor)}</td><td class="mono dim">${esc(e.node)}</td><td class="r">${esc(e.restarts)}</td><td class="${e.event === "failed" ? "err" : "dim"}" title="${esc(e.reason ?? "")}">${esc(e.reason ?? "")}</td></tr>`;
}
function appendLog(e) {
  const body = $("log-body");
  body.insertAdjacentHTML("afterbegin", logRow(e));
  while (body.rows.length > 300) body.deleteRow(body.rows.length - 1);
}

function renderAll() {
  renderTree();
  renderDetail();
  renderControls();
  renderQuotes();
  renderChart();
  renderOrders();
  renderRisk();
  renderHealth();
  $("log-body").innerHTML = state.lifecycle.slice(0, 300).map(logRow).join("");
}

connect();
