import { type ActorRow, actorKey, statusOf, stateText } from "../actors.js";
import { $, badge, closest, esc } from "../dom.js";
import { state } from "../state.js";

function actorRow(a: ActorRow, node: string): string {
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

function groupRow(cls: string, key: string, indent: string, label: string, extra = "", cols = 8): string {
  const open = !state.collapsed.has(key);
  return `<tr class="${cls}"><td class="${indent}"><span class="twisty" data-toggle="${esc(key)}">${open ? "▾" : "▸"}</span>${label}</td><td colspan="${cols}">${extra}</td></tr>`;
}

/** The supervision tree (node → cell → kind → actor) and the header's counts. */
export function renderTree(): void {
  const rows: string[] = [];
  const f = state.filter.toLowerCase();
  const match = (a: ActorRow) => !f || `${actorKey(a)} ${stateText(a.state)} ${statusOf(a)}`.toLowerCase().includes(f);
  let actors = 0;
  let restarts = 0;
  let quarantined = 0;
  const liveNodes = new Set<string>();
  for (const n of state.tree) {
    for (const l of n.liveNodes ?? []) liveNodes.add(l);
    const nk = `n:${n.node}`;
    const all = (n.cells ?? []).flatMap((c) => (c.kinds ?? []).flatMap((k) => k.actors ?? []));
    const nq = new Set([...(n.quarantined ?? []).map((q) => q.key), ...all.filter((a) => statusOf(a) === "quarantined").map(actorKey)]);
    actors += all.length;
    quarantined += nq.size;
    restarts += all.reduce((s, a) => s + Number(a.restarts ?? 0), 0);
    rows.push(
      groupRow(
        "g-node",
        nk,
        "",
        `node <b class="mono">${esc(n.node)}</b>`,
        `<span class="dim">${(n.cells ?? []).length} cells · ${all.length} actors${nq.size ? ` · <span class="err">${nq.size} quarantined</span>` : ""}</span>`,
      ),
    );
    if (state.collapsed.has(nk)) continue;
    for (const c of n.cells ?? []) {
      const ck = `c:${n.node}/${c.cell}`;
      const sup = (n.supervisor ?? []).find((s) => s.id === `cell-${c.cell}`);
      rows.push(
        groupRow("g-cell", ck, "ind1", `cell-${c.cell}`, `${badge(c.status)} <span class="dim">restarts ${sup?.restarts ?? 0}</span>`),
      );
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
        const [kind = "", ...rest] = q.key.split("/");
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

/** Twisties fold groups, a click on an actor selects it, the filter narrows the rows; the tree's age ticks. */
export function mountTree(select: (kind: string, id: string) => void): void {
  $("tree-body").addEventListener("click", (e) => {
    const tw = closest(e, "[data-toggle]");
    if (tw) {
      const k = tw.dataset.toggle ?? "";
      if (state.collapsed.has(k)) state.collapsed.delete(k);
      else state.collapsed.add(k);
      renderTree();
      return;
    }
    const tr = closest(e, "tr[data-kind]");
    if (!tr) return;
    select(tr.dataset.kind ?? "", tr.dataset.id ?? "");
  });
  const filter = $<HTMLInputElement>("tree-filter");
  filter.addEventListener("input", () => {
    state.filter = filter.value;
    renderTree();
  });
  setInterval(() => {
    $("kpi-tree-age").textContent = state.treeAt ? `${((Date.now() - state.treeAt) / 1000).toFixed(1)}s ago` : "—";
  }, 500);
}
