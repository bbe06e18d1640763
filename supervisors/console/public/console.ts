// The supervisor console page: one WebSocket to the node (/ws), signed in with a bearer JWT kept in sessionStorage.
// Everything on screen comes from frames the server pushes; controls go back as frames and are checked server-side.
// Browser modules: the console server serves them as JS, so imports name the served `.js` paths.
import type { ServerFrame } from "../protocol.ts";
import { hideSignIn, showSignIn, toast } from "./dialogs.js";
import { $ } from "./dom.js";
import { answered, connect, disconnect, linkNodes, linkUp, setLink, startLink, TOKEN_KEY } from "./link.js";
import { mountAlgos, renderAlgos } from "./panels/algos.js";
import { mountBacktests, renderBacktests } from "./panels/backtests.js";
import { mountControls, renderControls } from "./panels/controls.js";
import { renderDetail, selectActor } from "./panels/detail.js";
import { renderHealth } from "./panels/health.js";
import { appendLog, renderLog } from "./panels/log.js";
import { mountModels, renderModels } from "./panels/models.js";
import { mountMarkets, renderChart, renderQuotes } from "./panels/markets.js";
import { renderOrders } from "./panels/orders.js";
import { mountProposals } from "./panels/proposals.js";
import { mountRisk, renderRisk } from "./panels/risk.js";
import { mountTree, renderTree } from "./panels/tree.js";
import { state } from "./state.js";

function onFrame(f: ServerFrame): void {
  switch (f.type) {
    case "welcome":
      linkUp();
      state.me = f;
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
      state.models = f.models;
      for (const a of f.analytics ?? []) state.analytics.set(a.book, a.analytics);
      state.proposals = f.proposals ?? [];
      if (!state.chartInstrument && state.quotes.size) state.chartInstrument = [...state.quotes.keys()].sort()[0] ?? null;
      renderAll();
      showNodes();
      break;
    case "tree":
      state.tree = f.nodes;
      state.treeAt = f.at;
      renderTree();
      renderAlgos();
      renderDetail();
      showNodes();
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
        const dir = prev ? Math.sign(Number(q.mid) - Number(prev.mid)) || prev.dir || 0 : 0;
        state.quotes.set(q.instrument, { ...q, dir });
        let h = state.history.get(q.instrument);
        if (!h) {
          h = [];
          state.history.set(q.instrument, h);
        }
        h.push([f.at, Number(q.mid)]);
        if (h.length > 600) h.splice(0, h.length - 600);
      }
      if (!state.chartInstrument) state.chartInstrument = f.quotes[0]?.instrument ?? null;
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
    case "analytics":
      state.analytics.set(f.book, f.analytics);
      renderRisk();
      break;
    case "proposals":
      state.proposals = f.proposals;
      renderRisk();
      break;
    case "health":
      state.health = f.health;
      renderHealth();
      break;
    case "models": {
      const { type: _type, ...frame } = f;
      state.models = frame;
      renderModels();
      break;
    }
    case "backtests": {
      const { type: _type, ...frame } = f;
      state.backtests = frame;
      renderBacktests();
      break;
    }
    case "detail":
    case "result":
    case "backtestReport":
      answered(f);
      break;
    case "error":
      toast(f.message, false);
      break;
  }
}

/** Nodes in the tree (and live in placement): the link shows green only when one runs. */
function showNodes(): void {
  if (!state.treeAt) return;
  const nodes = new Set<string>();
  for (const n of state.tree) {
    nodes.add(n.node);
    for (const l of n.liveNodes ?? []) nodes.add(l);
  }
  linkNodes(nodes.size);
}

function renderAll(): void {
  renderTree();
  renderAlgos();
  renderDetail();
  renderControls();
  renderQuotes();
  renderChart();
  renderOrders();
  renderRisk();
  renderHealth();
  renderModels();
  renderLog();
}

$("signin-form").addEventListener("submit", (e) => {
  const input = $<HTMLTextAreaElement>("signin-token");
  const token = input.value.trim();
  if (!token) {
    e.preventDefault();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  input.value = "";
  connect();
});
$("signin").addEventListener("cancel", (e) => e.preventDefault());
$("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
  disconnect();
  setLink("off", "signed out");
  renderControls();
  showSignIn("");
});

mountTree((kind, id) => void selectActor(kind, id));
mountControls((kind, id) => void selectActor(kind, id));
mountAlgos((kind, id) => void selectActor(kind, id));
mountMarkets();
mountRisk();
mountProposals();
mountModels();
mountBacktests();
startLink({ onFrame, onSignedOut: () => showSignIn("") });
