import { readFileSync } from "node:fs";
import t from "tap";
import { repoRoot } from "../local/index.ts";

/** Where the platform declares its metrics: instruments in metrics.ts, scrape-time gauges in the threads. */
const declaring = ["infra/telemetry/metrics.ts", "supervisors/cells/cell-worker.ts", "supervisors/node/recorder-worker.ts"];

t.test("every metric the Grafana dashboard queries is one the platform declares", async (t) => {
  const declared = new Set<string>();
  for (const file of declaring) {
    const source = readFileSync(`${repoRoot}${file}`, "utf8");
    // every dotted am.* name in them: metric names, and attribute keys (never queried as a metric)
    for (const m of source.matchAll(/"(am\.[a-z_.]+)"/g)) declared.add(m[1]!.replaceAll(".", "_"));
  }
  t.ok(declared.size >= 12, `names declared: ${[...declared].join(", ")}`);
  const dashboard = JSON.parse(readFileSync(`${repoRoot}infra/deploy/grafana/alphamind-runtime.json`, "utf8")) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  // a metric is a name followed by its selector; labels (am_kind, …) are not
  const queried = new Set<string>();
  for (const p of dashboard.panels)
    for (const target of p.targets)
      for (const m of target.expr.matchAll(/\b(am_[a-z_]+?)(?:_total|_bucket|_sum|_count)?\{/g)) queried.add(m[1]!);
  t.ok(queried.size >= 10, `metrics queried: ${[...queried].join(", ")}`);
  for (const name of queried) t.ok(declared.has(name), `${name} is declared`);
});
