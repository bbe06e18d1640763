/** What every test shares: one way to wait for a condition, and real servers that go away when the test ends. */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  defaultCacheDir,
  freePort,
  localTools,
  type RunningNats,
  startNatsServer,
  startTestInfra,
  type TestInfra,
} from "../infra/local/index.ts";
import { connectNats, declareResources, type NatsRole, SnapshotStore } from "../infra/nats/index.ts";

/** A tap test, or anything else that runs cleanup when it ends. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface EventuallyOptions {
  /** give up after this long (default 5 s): a hang guard, not a timing assertion */
  timeoutMs?: number;
  /** pause between probes (default 10 ms) */
  everyMs?: number;
}

/** The values that mean "not yet" when a probe has no `until`. */
type NotYet = undefined | null | false;

const shown = (v: unknown): string => {
  const text = v instanceof Error ? `error: ${v.message}` : typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

/**
 * Probes until the probe gives a value other than undefined, null or false (or one `until` accepts) and returns it.
 * A throw counts as "not yet", since a server that is still starting refuses requests; on timeout the error says
 * what was awaited and the last value or error seen.
 */
export async function eventually<T>(what: string, probe: () => T | Promise<T>, options?: EventuallyOptions): Promise<Exclude<T, NotYet>>;
export async function eventually<T, U extends T>(
  what: string,
  probe: () => T | Promise<T>,
  options: EventuallyOptions & { until: (v: T) => v is U },
): Promise<U>;
export async function eventually<T>(
  what: string,
  probe: () => T | Promise<T>,
  options: EventuallyOptions & { until: (v: T) => boolean },
): Promise<T>;
export async function eventually<T>(
  what: string,
  probe: () => T | Promise<T>,
  options: EventuallyOptions & { until?: (v: T) => boolean } = {},
): Promise<T> {
  const { timeoutMs = 5_000, everyMs = 10 } = options;
  const settled = options.until ?? ((v: T) => v !== undefined && v !== null && v !== false);
  const deadline = Date.now() + timeoutMs;
  let last: unknown = "nothing yet";
  for (;;) {
    try {
      const v = await probe();
      if (settled(v)) return v;
      last = v;
    } catch (e) {
      last = e instanceof Error ? e : new Error(String(e));
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${shown(last)}`);
    await sleep(everyMs);
  }
}

export interface TestServers {
  /** the servers' URLs and directory (questdbUrl is set when asked for) */
  infra: TestInfra;
  /** a connection to the nats-server as the `node` user (a platform service), closed at teardown */
  nc: NatsConnection;
  /** the snapshot store on that server (only where the platform's resources are declared) */
  store: SnapshotStore;
}

export interface TestServerOptions {
  /** start QuestDB as well (seconds, so only where a test writes or reads rows) */
  questdb?: boolean;
  /** declare the platform's streams and buckets (default true; false for tests of the declaration itself) */
  declare?: boolean;
}

/**
 * A throwaway nats-server (and QuestDB where asked) on free ports with data in a temporary directory, connected and
 * with the platform's resources declared; `t.teardown` closes the connection, stops the servers and removes the data.
 */
export async function startTestServers(t: Teardown, options: TestServerOptions & { declare: false }): Promise<Omit<TestServers, "store">>;
export async function startTestServers(t: Teardown, options?: TestServerOptions): Promise<TestServers>;
export async function startTestServers(
  t: Teardown,
  options: TestServerOptions = {},
): Promise<Omit<TestServers, "store"> & { store?: SnapshotStore }> {
  const infra = await startTestInfra({ questdb: options.questdb ?? false });
  t.teardown(() => infra.stop());
  const nc = await connectAs(t, infra, "node", "test");
  if (options.declare === false) return { infra, nc };
  await declareResources(nc, { replicas: 1 });
  return { infra, nc, store: await SnapshotStore.open(nc) };
}

/**
 * A connection to a test's nats-server as one of the platform's users (nats.conf), closed at teardown: `operator`
 * to write risk limits or strategy parameters in KV, `reader` for what a read-only subscriber sees.
 */
export async function connectAs(t: Teardown, infra: TestInfra, role: NatsRole, name: string = role): Promise<NatsConnection> {
  const nc = await connectNats(infra.natsUrl, name, { role, credentialsDir: infra.credentialsDir });
  t.teardown(() => nc.close());
  return nc;
}

/**
 * The test's nats-server again after it was killed: the same client port and JetStream store (a supervisor or an
 * operator restarting it), stopped at teardown. Its monitoring port is a new one: tests run side by side, and one
 * may have taken the old port while the server was down (nothing reconnects to it).
 */
export async function restartNatsServer(t: Teardown, infra: TestInfra): Promise<RunningNats> {
  const back = await startNatsServer({
    binary: localTools(defaultCacheDir()).natsServer,
    host: "127.0.0.1",
    port: Number(new URL(infra.natsUrl).port),
    monitorPort: await freePort(),
    storeDir: join(infra.dir, "nats"),
    logFile: join(infra.dir, "nats-server-2.log"),
    credentials: infra.credentials,
  });
  t.teardown(() => back.stop());
  return back;
}
