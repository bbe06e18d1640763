import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { questdbSql } from "../../infra/questdb/index.ts";
import type { Health, StreamHealth } from "./protocol.ts";

export interface HealthTargets {
  nc: NatsConnection;
  /** nats-server monitoring endpoint, e.g. http://127.0.0.1:8222 */
  natsMonitorUrl?: string;
  /** QuestDB HTTP endpoint, e.g. http://127.0.0.1:9000 */
  questdbUrl?: string;
  timeoutMs?: number;
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
    out.error = `rtt: ${(e as Error).message}`;
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
      out.error = `healthz at ${o.natsMonitorUrl} unreachable: ${(e as Error).message}`;
    }
  }
  return out;
}

async function probeJetStream(o: HealthTargets, timeoutMs: number): Promise<Health["jetstream"]> {
  try {
    const jsm = await jetstreamManager(o.nc, { timeout: timeoutMs });
    const streams: StreamHealth[] = [];
    for await (const s of jsm.streams.list()) {
      streams.push({
        name: s.config.name,
        messages: s.state.messages,
        bytes: s.state.bytes,
        consumers: s.state.consumer_count,
        firstSeq: s.state.first_seq,
        lastSeq: s.state.last_seq,
      });
    }
    return { ok: true, streams: streams.sort((a, b) => a.name.localeCompare(b.name)) };
  } catch (e) {
    return { ok: false, streams: [], error: (e as Error).message };
  }
}

async function probeQuestdb(o: HealthTargets, timeoutMs: number): Promise<Health["questdb"]> {
  if (!o.questdbUrl) return { ok: false, configured: false, error: "no QuestDB configured on this node" };
  const t0 = process.hrtime.bigint();
  try {
    await questdbSql(o.questdbUrl, "SELECT 1", AbortSignal.timeout(timeoutMs));
    return { ok: true, configured: true, latencyMs: Math.round(elapsedMs(t0) * 100) / 100 };
  } catch (e) {
    return { ok: false, configured: true, error: (e as Error).message };
  }
}

/** Probes NATS (connection, rtt, /healthz), JetStream streams and QuestDB (`SELECT 1`) concurrently. */
export async function probeHealth(o: HealthTargets): Promise<Health> {
  const timeoutMs = o.timeoutMs ?? 2_000;
  const [nats, jetstream, questdb] = await Promise.all([probeNats(o, timeoutMs), probeJetStream(o, timeoutMs), probeQuestdb(o, timeoutMs)]);
  return { at: Date.now(), nats, jetstream, questdb };
}
