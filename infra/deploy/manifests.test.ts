import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import t from "tap";
import { repoRoot } from "../local/index.ts";
import {
  imageProblems,
  manifestProblems,
  natsProblems,
  nodeContainer,
  nodeMemoryProblems,
  probeProblems,
  questdbMemoryProblems,
  readManifests,
  serviceProblems,
  settingProblems,
} from "./manifest-checks.ts";

t.test("every manifest document is valid against the Kubernetes schema of its kind", async (t) => {
  const m = readManifests();
  t.equal(m.statefulSets.length, 2, "NATS and QuestDB");
  t.equal(m.deployments.length, 1, "the nodes");
  t.ok(m.services.length >= 4, "NATS, QuestDB, gateway, console");
  t.equal(m.configMaps.length, 1, "nats.conf");
});

t.test("a document the Kubernetes schema refuses stops the reading, naming the file and the field", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "am-manifests-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, "bad.yaml"),
    "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: x }\nspec:\n  replicas: three\n  serviceName: x\n  selector: {}\n  template: {}\n",
  );
  t.throws(() => readManifests(pathToFileURL(`${dir}/`)), /bad\.yaml document 1 \(StatefulSet\): .*replicas/);
});

t.test("the manifests agree with the platform: settings, ports, probes, replicas, store sizes and heaps", async (t) => {
  t.same(manifestProblems(readManifests()), []);
});

t.test("each consistency check fails on a manifest that breaks it", async (t) => {
  const broken = <T>(change: (m: ReturnType<typeof readManifests>) => void, check: (m: ReturnType<typeof readManifests>) => T): T => {
    const m = readManifests();
    change(m);
    return check(m);
  };
  t.match(
    broken((m) => nodeContainer(m).container.env?.push({ name: "AM_CELL_HEAP", value: "256" }), settingProblems),
    [/AM_CELL_HEAP: not a setting/],
  );
  t.match(
    broken((m) => {
      const e = nodeContainer(m).container.env?.find((v) => v.name === "AM_REPLICAS");
      if (e) e.value = "9";
    }, settingProblems),
    [/AM_REPLICAS/],
  );
  t.match(
    broken((m) => {
      const e = nodeContainer(m).container.env?.find((v) => v.name === "AM_REPLICAS");
      if (e) e.value = "5";
    }, natsProblems),
    [/3 servers, AM_REPLICAS is 5/],
  );
  t.match(
    broken((m) => {
      const c = nodeContainer(m).container;
      c.ports = c.ports?.filter((p) => p.name !== "console");
    }, serviceProblems),
    [/Service alphamind-console port http: no container of alphamind-node exposes console/],
  );
  t.match(
    broken((m) => {
      const probe = nodeContainer(m).container.readinessProbe;
      if (probe?.tcpSocket) probe.tcpSocket.port = 50052;
    }, probeProblems),
    [/readiness probe: port 50052 is not a container port/],
  );
  t.match(
    broken((m) => {
      const e = nodeContainer(m).container.env?.find((v) => v.name === "AM_CELL_HEAP_MB");
      if (e) e.value = "1024";
    }, nodeMemoryProblems),
    [/limits.memory: 2560 MiB is under 1.25 x 4160 MiB/],
  );
  t.match(
    broken((m) => {
      const qdb = m.statefulSets.find((s) => s.metadata?.name === "questdb")?.spec?.template.spec?.containers[0];
      if (qdb?.resources?.limits) qdb.resources.limits.memory = "3Gi";
    }, questdbMemoryProblems),
    [/under twice its 2048 MiB heap/],
  );
  t.match(
    broken((m) => {
      const cm = m.configMaps[0];
      if (cm?.data) cm.data["nats.conf"] = cm.data["nats.conf"]!.replace("max_file_store: 30GB", "max_file_store: 10GB");
    }, natsProblems),
    [/max_file_store: 10000000000 bytes, the declared streams and buckets need/],
  );
  t.match(
    broken((m) => {
      const nats = m.statefulSets.find((s) => s.metadata?.name === "nats")?.spec?.template.spec?.containers[0];
      if (nats) nats.image = "nats:2.10.0-alpine";
    }, imageProblems),
    [/nats image nats:2.10.0-alpine: the pinned nats-server is/],
  );
  t.match(
    broken((m) => {
      const cm = m.configMaps[0];
      if (cm?.data) cm.data["nats.conf"] = cm.data["nats.conf"]!.replace("nats://nats-2.nats-headless:6222", "");
    }, natsProblems),
    [/nats.conf routes: .* the StatefulSet's pods are/],
  );
});

t.test("the image runs what npm start runs, with its runtime in production dependencies, and exposes the node's ports", async (t) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    scripts: { start: string };
    dependencies: Record<string, string>;
  };
  const dockerfile = readFileSync(join(repoRoot, "infra/deploy/Dockerfile"), "utf8");
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? "[]") as string[];
  t.equal(cmd.join(" "), pkg.scripts.start);
  t.ok(pkg.dependencies.tsx, "tsx survives npm ci --omit=dev");
  t.match(dockerfile, /npm ci --omit=dev/);
  const exposed = (/^EXPOSE (.*)$/m.exec(dockerfile)?.[1] ?? "").split(/\s+/).map(Number).sort();
  const ports = (nodeContainer(readManifests()).container.ports ?? []).map((p) => p.containerPort).sort();
  t.same(exposed, ports);
});
