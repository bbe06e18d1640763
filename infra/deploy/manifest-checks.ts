/**
 * The Kubernetes manifests of infra/deploy/kubernetes read and checked: each document against the Kubernetes
 * schema of its kind (kubernetes-models), then against the platform itself (settings, declared streams, ports).
 * Every check returns problems as lines naming the object and field, so a test shows all of them at once.
 */
import { readdirSync, readFileSync } from "node:fs";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { ConfigMap, type IContainer, type IEnvVar, Service } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";
import { envName, loadConfig, settings } from "../config/index.ts";
import { pinnedVersions } from "../local/index.ts";
import { declaredBuckets, declaredStreams } from "../nats/index.ts";

export const manifestsDir = new URL("./kubernetes/", import.meta.url);

export interface Manifests {
  configMaps: ConfigMap[];
  services: Service[];
  statefulSets: StatefulSet[];
  deployments: Deployment[];
}

const models = { ConfigMap, Service, StatefulSet, Deployment } as const;
const lists = { ConfigMap: "configMaps", Service: "services", StatefulSet: "statefulSets", Deployment: "deployments" } as const;

/** Every YAML document of the manifest files, validated against its kind's schema; a bad one throws naming it. */
export function readManifests(dir: URL = manifestsDir): Manifests {
  const out: Manifests = { configMaps: [], services: [], statefulSets: [], deployments: [] };
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()) {
    parseAllDocuments(readFileSync(new URL(file, dir), "utf8")).forEach((doc, i) => {
      const where = `${file} document ${i + 1}`;
      if (doc.errors.length) throw new Error(`${where}: ${doc.errors[0]?.message}`);
      const raw = doc.toJS() as { kind?: string; apiVersion?: string };
      const kind = raw.kind as keyof typeof models;
      if (!(kind in models))
        throw new Error(`${where}: kind ${raw.kind} is not one these manifests use (${Object.keys(models).join(", ")})`);
      const Model = models[kind];
      if (raw.apiVersion !== Model.apiVersion) throw new Error(`${where}: apiVersion ${raw.apiVersion}, ${kind} is ${Model.apiVersion}`);
      const model = new Model(raw as never);
      try {
        model.validate();
      } catch (e) {
        throw new Error(`${where} (${kind}): ${(e as Error).message}`);
      }
      (out[lists[kind]] as unknown[]).push(model);
    });
  }
  return out;
}

const containersOf = (w: Deployment | StatefulSet): IContainer[] => w.spec?.template.spec?.containers ?? [];
const nameOf = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? "(unnamed)";
const labelsMatch = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Ports of a container by name and number, as a Service's or a probe's target may name either. */
function exposes(c: IContainer, port: number | string | undefined): boolean {
  return (c.ports ?? []).some((p) => p.containerPort === port || (p.name !== undefined && p.name === port));
}

function portNumber(c: IContainer, port: number | string): number | undefined {
  return typeof port === "number" ? port : c.ports?.find((p) => p.name === port)?.containerPort;
}

/** Every port a Service targets exists on each container its selector picks; a selector picking nothing is a problem. */
export function serviceProblems(m: Manifests): string[] {
  const problems: string[] = [];
  const workloads = [...m.deployments, ...m.statefulSets];
  for (const s of m.services) {
    const selector = s.spec?.selector ?? {};
    const picked = workloads.filter((w) => labelsMatch(selector, w.spec?.template.metadata?.labels));
    if (!picked.length) problems.push(`Service ${nameOf(s)}: selector ${JSON.stringify(selector)} picks no pods`);
    for (const w of picked)
      for (const p of s.spec?.ports ?? []) {
        const target = p.targetPort ?? p.port;
        if (!containersOf(w).some((c) => exposes(c, target)))
          problems.push(`Service ${nameOf(s)} port ${p.name ?? p.port}: no container of ${nameOf(w)} exposes ${target}`);
      }
  }
  return problems;
}

/** Every probe of every container points at a port that container exposes. */
export function probeProblems(m: Manifests): string[] {
  const problems: string[] = [];
  for (const w of [...m.deployments, ...m.statefulSets])
    for (const c of containersOf(w))
      for (const [kind, probe] of Object.entries({ liveness: c.livenessProbe, readiness: c.readinessProbe, startup: c.startupProbe })) {
        if (!probe) continue;
        const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
        if (port === undefined) continue; // an exec probe
        if (!exposes(c, port)) problems.push(`${nameOf(w)}/${c.name} ${kind} probe: port ${port} is not a container port`);
      }
  return problems;
}

/** The node Deployment's container (the one whose env sets AM_ settings). */
export function nodeContainer(m: Manifests): { deployment: Deployment; container: IContainer } {
  for (const deployment of m.deployments)
    for (const container of containersOf(deployment))
      if (container.env?.some((e) => e.name.startsWith("AM_"))) return { deployment, container };
  throw new Error("no Deployment sets AM_ settings: the node Deployment is missing");
}

/** AM_ names as loadConfig reads them (`cellHeapMb` → AM_CELL_HEAP_MB). */
export const settingEnvNames: ReadonlySet<string> = new Set(Object.keys(settings).map(envName));

/** A literal value for an env var, or a stand-in of the right shape for one taken from the pod or a Secret. */
function envValue(e: IEnvVar): string {
  if (e.value !== undefined) return e.value;
  if (e.valueFrom?.fieldRef) return "alphamind-node-5d9c7b6f4-x2x7q";
  return "a-secret-from-kubernetes-at-least-32-characters";
}

export function nodeEnv(m: Manifests): Record<string, string> {
  return Object.fromEntries((nodeContainer(m).container.env ?? []).map((e) => [e.name, envValue(e)]));
}

/** Every AM_ name is a setting and loadConfig accepts the values together. */
export function settingProblems(m: Manifests): string[] {
  const env = nodeEnv(m);
  const problems = Object.keys(env)
    .filter((k) => k.startsWith("AM_") && !settingEnvNames.has(k))
    .map((k) => `node env ${k}: not a setting of infra/config/schema.ts`);
  if (problems.length) return problems;
  try {
    loadConfig(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("AM_"))));
  } catch (e) {
    problems.push(`node env: ${(e as Error).message}`);
  }
  return problems;
}

const binaryUnits: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const decimalUnits: Record<string, number> = { "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** Bytes of a Kubernetes quantity (2Gi, 1536Mi) or of a nats.conf size; a nats.conf size is read as decimal, its least. */
export function bytesOf(quantity: string | number | undefined, field: string): number {
  if (typeof quantity === "number") return quantity;
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(quantity ?? "");
  const unit = m ? (binaryUnits[m[2]!] ?? decimalUnits[m[2]!]) : undefined;
  if (!m || unit === undefined) throw new Error(`${field}: ${JSON.stringify(quantity)} is not a size`);
  return Number(m[1]) * unit;
}

/**
 * The node's memory limit holds every heap it sets (the main thread's old generation, each cell's and the
 * recorder's old and young generations) with a quarter to spare.
 */
export function nodeMemoryProblems(m: Manifests): string[] {
  const env = nodeEnv(m);
  const config = loadConfig(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("AM_"))));
  const mainHeapMb = Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? "")?.[1]);
  if (!Number.isFinite(mainHeapMb)) return ["node env NODE_OPTIONS: --max-old-space-size is not set, so the main heap is unbounded"];
  const heapsMb = mainHeapMb + (config.cells + 1) * (config.cellHeapMb + config.cellYoungMb);
  const { container } = nodeContainer(m);
  const limit = bytesOf(container.resources?.limits?.memory, "node resources.limits.memory") / 2 ** 20;
  const request = bytesOf(container.resources?.requests?.memory, "node resources.requests.memory") / 2 ** 20;
  const problems: string[] = [];
  if (limit < heapsMb * 1.25)
    problems.push(
      `node resources.limits.memory: ${limit} MiB is under 1.25 x ${heapsMb} MiB of heaps (main + ${config.cells + 1} x (AM_CELL_HEAP_MB + AM_CELL_YOUNG_MB))`,
    );
  if (request < heapsMb) problems.push(`node resources.requests.memory: ${request} MiB is under ${heapsMb} MiB of heaps`);
  return problems;
}

/** QuestDB's fixed heap (-Xmx) is at most half its memory limit: tables are memory-mapped outside the heap. */
export function questdbMemoryProblems(m: Manifests): string[] {
  const set = m.statefulSets.find((s) => nameOf(s) === "questdb");
  const c = set && containersOf(set)[0];
  if (!c) return ["StatefulSet questdb: missing"];
  const jvm = c.env?.find((e) => e.name === "JVM_PREPEND")?.value ?? "";
  const xmx = /-Xmx(\d+)m/.exec(jvm)?.[1];
  const xms = /-Xms(\d+)m/.exec(jvm)?.[1];
  if (!xmx || xmx !== xms) return [`questdb JVM_PREPEND: ${JSON.stringify(jvm)} must fix the heap (-Xms equal to -Xmx, in m)`];
  const heapMb = Number(xmx);
  const min = settings.questdbHeapMb.schema;
  if (!min.safeParse(heapMb).success) return [`questdb heap ${heapMb} MiB: outside what AM_QUESTDB_HEAP_MB allows`];
  const limit = bytesOf(c.resources?.limits?.memory, "questdb resources.limits.memory") / 2 ** 20;
  return limit < 2 * heapMb ? [`questdb resources.limits.memory: ${limit} MiB is under twice its ${heapMb} MiB heap`] : [];
}

/**
 * The NATS cluster: as many servers as AM_REPLICAS, a route to each through the headless Service on the cluster
 * port, a JetStream store that holds every declared stream and bucket at its max_bytes, and a volume that holds
 * the store; the node's AM_NATS_URL and AM_NATS_MONITOR_PORT reach a Service that serves them.
 */
export function natsProblems(m: Manifests): string[] {
  const problems: string[] = [];
  const set = m.statefulSets.find((s) => nameOf(s) === "nats");
  const c = set && containersOf(set)[0];
  const conf = m.configMaps.find((cm) => nameOf(cm) === "nats-config")?.data?.["nats.conf"];
  if (!set || !c || !conf) return ["NATS: StatefulSet nats or ConfigMap nats-config (nats.conf) is missing"];
  const env = nodeEnv(m);
  const replicas = set.spec?.replicas ?? 1;
  if (String(replicas) !== env.AM_REPLICAS) problems.push(`StatefulSet nats: ${replicas} servers, AM_REPLICAS is ${env.AM_REPLICAS}`);
  const clusterPort = portNumber(c, "cluster");
  const want = Array.from({ length: replicas }, (_, i) => `nats://${nameOf(set)}-${i}.${set.spec?.serviceName}:${clusterPort}`);
  const routes = [...conf.matchAll(/nats:\/\/[^\s,\]]+/g)].map((r) => r[0]);
  if (JSON.stringify(routes) !== JSON.stringify(want))
    problems.push(`nats.conf routes: ${routes.join(" ") || "none"}, the StatefulSet's pods are ${want.join(" ")}`);
  if (!/cluster\s*\{[^}]*listen:\s*[\d.]+:(\d+)/.exec(conf)?.[1]?.startsWith(String(clusterPort)))
    problems.push(`nats.conf cluster listen: not the container's cluster port ${clusterPort}`);
  const declared =
    declaredStreams(replicas).reduce((n, s) => n + (s.max_bytes ?? 0), 0) + declaredBuckets().reduce((n, b) => n + b.max_bytes, 0);
  const store = bytesOf(/max_file_store:\s*(\S+)/.exec(conf)?.[1], "nats.conf max_file_store");
  if (store < declared) problems.push(`nats.conf max_file_store: ${store} bytes, the declared streams and buckets need ${declared}`);
  const volume = set.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
  if (bytesOf(volume, "nats volume") < store) problems.push(`StatefulSet nats volume: ${volume} is smaller than max_file_store`);
  const url = new URL((env.AM_NATS_URL ?? "").replace(/^nats:/, "http:"));
  const service = m.services.find((s) => nameOf(s) === url.hostname);
  const ports = (service?.spec?.ports ?? []).map((p) => String(p.port));
  for (const [name, port] of [
    ["AM_NATS_URL", url.port],
    ["AM_NATS_MONITOR_PORT", env.AM_NATS_MONITOR_PORT],
  ] as const)
    if (!ports.includes(port ?? "")) problems.push(`${name}: Service ${url.hostname} has no port ${port}`);
  return problems;
}

/** AM_QUESTDB_URL reaches the questdb Service's HTTP port. */
export function questdbUrlProblems(m: Manifests): string[] {
  const url = new URL(nodeEnv(m).AM_QUESTDB_URL ?? "http://missing");
  const service = m.services.find((s) => nameOf(s) === url.hostname);
  return service?.spec?.ports?.some((p) => String(p.port) === url.port)
    ? []
    : [`AM_QUESTDB_URL: Service ${url.hostname} has no port ${url.port}`];
}

/** The node's gateway, console and metrics settings are the ports its container exposes. */
export function nodePortProblems(m: Manifests): string[] {
  const env = nodeEnv(m);
  const { container } = nodeContainer(m);
  return (["AM_GATEWAY_PORT", "AM_CONSOLE_PORT", "AM_METRICS_PORT"] as const)
    .filter((k) => !exposes(container, Number(env[k])))
    .map((k) => `node ${k}=${env[k]}: not a container port`);
}

/** NATS and QuestDB run the versions the set-up pins (scripts/versions.env), the ones the tests run against. */
export function imageProblems(m: Manifests): string[] {
  const pinned = pinnedVersions();
  const imageOf = (name: string): string =>
    containersOf(m.statefulSets.find((s) => nameOf(s) === name) ?? new StatefulSet())[0]?.image ?? "";
  const problems: string[] = [];
  const nats = imageOf("nats");
  if (!nats.startsWith(`nats:${pinned.nats}`)) problems.push(`StatefulSet nats image ${nats}: the pinned nats-server is ${pinned.nats}`);
  const questdb = imageOf("questdb");
  if (questdb !== `questdb/questdb:${pinned.questdb}`)
    problems.push(`StatefulSet questdb image ${questdb}: the pinned QuestDB is ${pinned.questdb}`);
  return problems;
}

export function manifestProblems(m: Manifests): string[] {
  return [
    ...serviceProblems(m),
    ...probeProblems(m),
    ...settingProblems(m),
    ...nodeMemoryProblems(m),
    ...questdbMemoryProblems(m),
    ...natsProblems(m),
    ...questdbUrlProblems(m),
    ...nodePortProblems(m),
    ...imageProblems(m),
  ];
}
