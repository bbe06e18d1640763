import { setTimeout as sleep } from "node:timers/promises";
import { DiscardPolicy, jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { questdbSql } from "../../infra/questdb/index.ts";
import { errorMessage } from "../../actors/contract/index.ts";
import type { ClusterHealth, Health, NodeTree, StreamHealth } from "./protocol.ts";

export interface HealthTargets {
  nc: NatsConnection;
  /** nats-server monitoring endpoint, e.g. http://127.0.0.1:8222 */
  natsMonitorUrl?: string;
  /** QuestDB HTTP endpoint, e.g. http://127.0.0.1:9000 */
  questdbUrl?: string;
  timeoutMs?: number;
  /** the supervision tree and the declared actors, when the caller keeps them: nodes and actors are checked too */
  cluster?: ClusterPicture;
}

export interface ClusterPicture {
  tree: NodeTree[];
  /** declared actors as kind/id; undefined when the declarations are not known */
  declared?: string[];
}

const elapsedMs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function probeNats(o: HealthTargets, timeoutMs: number): Promise<Health["nats"]> {
  const info = o.nc.info;
  const out: Health["nats"] = { ok: !o.nc.isClosed(), ...(info ? { server: info.server_name, version: info.version } : {}) };
  try {
    // while the client reconnects, rtt() waits for the server to come back: bounded, so the tile turns red
    const rtt = await Promise.race([o.nc.rtt(), sleep(timeoutMs, undefined, { ref: false })]);
    if (rtt === undefined) throw new Error(`no answer within ${timeoutMs} ms (server unreachable, client reconnecting)`);
    out.rttMs = Math.round(rtt * 100) / 100;
  } catch (e) {
    out.ok = false;
    out.error = `rtt: ${errorMessage(e)}`;
  }
  if (o.natsMonitorUrl) {
    try {
      const res = await fetch(`${o.natsMonitorUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.json().catch(() => ({}))) as { status?: string; error?: string };
      out.healthz = body.status ?? String(res.status);
      if (!res.ok || body.status !== "ok") {
        out.ok = false;
        out.error = `healthz ${res.status}: ${body.error ?? body.status ?? res.statusText}`;
      }
    } catch (e) {
      out.ok = false;
      out.error = `healthz at ${o.natsMonitorUrl} unreachable: ${errorMessage(e)}`;
    }
  }
  return out;
}

/** A stream that refuses new messages once full is a problem from this share of its limit on. */
export const STREAM_FULL_WARNING = 0.8;

/** What the health shows of a stream: its size against its limit, and whether it is close to refusing messages. */
export function streamHealthOf(s: Pick<StreamInfo, "config" | "state">): StreamHealth {
  const maxBytes = Math.max(0, s.config.max_bytes);
  const refusesWhenFull = s.config.discard === DiscardPolicy.New;
  return {
    name: s.config.name,
    messages: s.state.messages,
    bytes: s.state.bytes,
    consumers: s.state.consumer_count,
    firstSeq: s.state.first_seq,
    lastSeq: s.state.last_seq,
    maxBytes,
    refusesWhenFull,
    nearlyFull: refusesWhenFull && maxBytes > 0 && s.state.bytes >= STREAM_FULL_WARNING * maxBytes,
  };
}

async function probeJetStream(o: HealthTargets, timeoutMs: number): Promise<Health["jetstream"]> {
  try {
    const jsm = await jetstreamManager(o.nc, { timeout: timeoutMs });
    const streams: StreamHealth[] = [];
    for await (const s of jsm.streams.list()) streams.push(streamHealthOf(s));
    return { ok: true, streams: streams.sort((a, b) => a.name.localeCompare(b.name)) };
  } catch (e) {
    return { ok: false, streams: [], error: errorMessage(e) };
  }
}

async function probeQuestdb(o: HealthTargets, timeoutMs: number): Promise<Health["questdb"]> {
  if (!o.questdbUrl) return { ok: false, configured: false, error: "no QuestDB configured on this node" };
  const t0 = process.hrtime.bigint();
  try {
    await questdbSql(o.questdbUrl, "SELECT 1", AbortSignal.timeout(timeoutMs));
    return { ok: true, configured: true, latencyMs: Math.round(elapsedMs(t0) * 100) / 100 };
  } catch (e) {
    return { ok: false, configured: true, error: errorMessage(e) };
  }
}

/** Names at most `max` items and counts the rest, so a reason stays one readable line. */
function some(items: string[], max = 5): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

/**
 * Nodes and actors as the tree shows them against what is declared. An empty tree is never healthy: a cluster with
 * no node or no actor trades nothing, however green its servers are.
 */
export function clusterHealth(p: ClusterPicture): ClusterHealth {
  const nodes = new Set<string>();
  const running = new Set<string>();
  const quarantined = new Set<string>();
  for (const n of p.tree) {
    nodes.add(n.node);
    for (const l of n.liveNodes ?? []) nodes.add(l);
    for (const q of n.quarantined ?? []) quarantined.add(q.key);
    for (const c of n.cells ?? []) {
      for (const k of c.kinds ?? []) {
        for (const a of k.actors ?? []) {
          const key = `${k.kind}/${a.id}`;
          if (a.status === "quarantined") quarantined.add(key);
          else if (a.status === "running") running.add(key);
        }
      }
    }
  }
  const missing = (p.declared ?? []).filter((k) => !running.has(k) && !quarantined.has(k)).sort();
  return {
    ok: nodes.size > 0 && running.size > 0 && missing.length === 0 && quarantined.size === 0,
    nodes: [...nodes].sort(),
    running: running.size,
    ...(p.declared ? { declared: p.declared.length } : {}),
    missing,
    quarantined: [...quarantined].sort(),
  };
}

const size = (bytes: number) => (bytes < 2 ** 20 ? `${Math.round(bytes / 2 ** 10)} KiB` : `${Math.round(bytes / 2 ** 20)} MiB`);

/**
 * Streams that refuse new messages once full and are close to it: the event journals (AM_EVT, the order and risk
 * book journals: full, nothing more is approved or placed) and the KV buckets (snapshots, leases) among them.
 */
function nearlyFull(streams: StreamHealth[]): string[] {
  return streams
    .filter((s) => s.nearlyFull)
    .map(
      (s) =>
        `stream ${s.name} is ${Math.floor((100 * s.bytes) / s.maxBytes)} % full (${size(s.bytes)} of ${size(s.maxBytes)}): once full it refuses what is written to it`,
    );
}

/** Why the platform is not healthy, one line per problem; none means healthy. */
export function healthReasons(h: Omit<Health, "status" | "reasons">): string[] {
  const reasons: string[] = [];
  if (!h.nats.ok) reasons.push(`NATS: ${h.nats.error ?? "not connected"}`);
  if (!h.jetstream.ok) reasons.push(`JetStream: ${h.jetstream.error ?? "unavailable"}`);
  if (h.questdb.configured && !h.questdb.ok) reasons.push(`QuestDB: ${h.questdb.error ?? "unreachable"}`);
  reasons.push(...nearlyFull(h.jetstream.streams));
  const c = h.cluster;
  if (c) {
    if (c.nodes.length === 0) reasons.push("no live node: nothing runs the actors");
    else if (c.running === 0) reasons.push(`the supervision tree is empty: no actor runs on ${some(c.nodes)}`);
    if (c.missing.length)
      reasons.push(`${c.missing.length} declared actor${c.missing.length === 1 ? "" : "s"} not running: ${some(c.missing)}`);
    if (c.quarantined.length)
      reasons.push(`${c.quarantined.length} actor${c.quarantined.length === 1 ? "" : "s"} quarantined: ${some(c.quarantined)}`);
  }
  return reasons;
}

/** Probes NATS (connection, rtt, /healthz), JetStream streams and QuestDB (`SELECT 1`) concurrently, and checks the cluster. */
export async function probeHealth(o: HealthTargets): Promise<Health> {
  const timeoutMs = o.timeoutMs ?? 2_000;
  const [nats, jetstream, questdb] = await Promise.all([probeNats(o, timeoutMs), probeJetStream(o, timeoutMs), probeQuestdb(o, timeoutMs)]);
  const probed = { at: Date.now(), nats, jetstream, questdb, ...(o.cluster ? { cluster: clusterHealth(o.cluster) } : {}) };
  const reasons = healthReasons(probed);
  return { ...probed, status: reasons.length ? "degraded" : "ok", reasons };
}
