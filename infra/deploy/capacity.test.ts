import { readFileSync } from "node:fs";
import t from "tap";
import { type CapacityPlan, capacityPlan, plannedLoad } from "./capacity-plan.ts";

/** Rows of CAPACITY.md's tables whose last column names a figure of the plan: `| what | 17,087 | `leases.x` |`. */
function documentedFigures(text: string): { what: string; value: number; path: string }[] {
  return [...text.matchAll(/^\|([^|]+)\|([^|]+)\|\s*`([A-Za-z.-]+)`\s*\|$/gm)].map((m) => ({
    what: m[1]!.trim(),
    value: Number(m[2]!.replace(/,/g, "").trim()),
    path: m[3]!,
  }));
}

function figureAt(plan: CapacityPlan, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), plan);
}

t.test("every figure CAPACITY.md states is the one the simulation computes", async (t) => {
  const plan = capacityPlan();
  const rows = documentedFigures(readFileSync(new URL("./CAPACITY.md", import.meta.url), "utf8"));
  for (const row of rows) t.equal(row.value, figureAt(plan, row.path), `${row.what} (${row.path})`);
  // the key figures of the plan are in the document: it cannot drop one and still pass
  const stated = new Set(rows.map((r) => r.path));
  for (const path of [
    "placement.actorsPerNode.max",
    "placement.actorsPerNode.min",
    "placement.orderShardsPerNode.max",
    "placement.orderShardsPerNode.min",
    "leases.leaseRenewalsPerSecond",
    "leases.heartbeatsPerSecond",
    "marketData.messagesPerSecond",
    "marketData.retainedMinutes",
    "events.steadyMiB",
    "questdb.rowsPerSecond",
  ])
    t.ok(stated.has(path), `CAPACITY.md states ${path}`);
});

t.test("the simulation places every unit on a live node and follows the platform's constants", async (t) => {
  const plan = capacityPlan({ ...plannedLoad, nodes: 3, instruments: 300, strategies: 30 });
  t.equal(plan.placement.placedActors, 300 + 30 + plan.placement.shardedKinds.reduce((n, k) => n + k.shards, 0));
  t.ok(plan.placement.actorsPerNode.min > 0, "every node of three gets actors");
  t.equal(plan.leases.renewalPeriodMs % plan.leases.tickMs, 0, "renewals happen on ticks");
  t.ok(plan.leases.renewalPeriodMs < plan.leases.leaseTtlMs, "a lease is renewed before it expires");
});
