import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { demoUniverse } from "../../actors/instrument/index.ts";
import * as grpc from "@grpc/grpc-js";
import { parseFixed } from "../../actors/domain/index.ts";
import { loadProtos, mintToken, type Role, type ServiceName } from "../../gateway/index.ts";
import { call } from "../../gateway/testing.ts";
import { freePort, repoRoot } from "../../infra/local/index.ts";
import { loadConfig } from "../../infra/config/index.ts";
import { openInstrumentBucket, putDefinitions } from "../../infra/nats/index.ts";
import { demoListings } from "./kinds/demo-venues.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { eventually, type Teardown, type TestServers } from "../../test/testing.ts";
import { ActorNode } from "./actor-node.ts";

import { admin } from "./admin-client.ts";
export { admin, command, type ReplyBody } from "./admin-client.ts";

/** Whether the venue connection to `venue` is logged on (its state, asked over the admin API, is "ready"). */
export async function venueReady(nc: import("@nats-io/transport-node").NatsConnection, venue: string): Promise<boolean> {
  const status = await admin(nc, "status", { type: "AdminActorRequest", kind: "venue", id: venue }, 1_000).catch(() => undefined);
  return (status?.result as { state?: unknown } | undefined)?.state === "ready";
}

export interface NodeProcess {
  name: string;
  proc: ChildProcess;
  output: string[];
  /** resolves when a log line matches */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

/** Starts a node process (supervisors/node/main.ts) on an existing NATS server, killed at teardown. */
export function startNodeProcess(
  t: Teardown,
  name: string,
  env: Record<string, string>,
  /** extra node flags (a benchmark's --cpu-prof, say) */
  nodeFlags: string[] = [],
): NodeProcess {
  const proc = spawn(process.execPath, [...nodeFlags, "--import", "tsx", `${repoRoot}supervisors/node/main.ts`], {
    cwd: repoRoot,
    env: {
      ...process.env,
      AM_NODE_ID: name,
      AM_START_INFRA: "false",
      AM_LOG_LEVEL: "info",
      AM_GATEWAY_PORT: "0",
      AM_CONSOLE_PORT: "0",
      // several nodes share a machine in tests: a test that reads the metrics endpoint gives it a free port
      AM_METRICS_PORT: "0",
      AM_DEMO_INSTRUMENTS: "0",
      // the demo's alternative data drops files under AM_VAR_DIR, which test nodes leave at the checkout's var/
      AM_DEMO_ALT_DATA: "false",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  const onLine = (line: string) => {
    output.push(line);
    for (const w of [...waiters])
      if (w.pattern.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
  };
  createInterface({ input: proc.stdout! }).on("line", onLine);
  createInterface({ input: proc.stderr! }).on("line", onLine);
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  });
  return {
    name,
    proc,
    output,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const seen = output.find((l) => pattern.test(l));
        if (seen) return resolve(seen);
        const timer = setTimeout(
          () =>
            reject(
              new Error(`node ${name}: no line matching ${pattern} within ${timeoutMs} ms; last lines:\n${output.slice(-5).join("\n")}`),
            ),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      }),
  };
}

/** An in-process ActorNode hosting the runtime's test kinds (or `kinds`, a module under the repo) on the test servers, stopped at teardown. */
export async function startTestNode(
  t: Teardown,
  f: Pick<TestServers, "nc" | "infra">,
  o: {
    node?: string;
    cells?: number;
    hangBudgetMs?: number;
    cellHeapMb?: number;
    logLevel?: "debug" | "info" | "warn" | "error";
    kinds?: string;
    spawnTimeoutMs?: number;
  } = {},
): Promise<ActorNode> {
  const logLevel = o.logLevel ?? "error";
  const node = new ActorNode({
    ...(o.cellHeapMb ? { config: { ...loadConfig(), cellHeapMb: o.cellHeapMb } } : {}),
    nc: f.nc,
    natsUrl: f.infra.natsUrl,
    node: o.node ?? "n1",
    kindsModule: pathToFileURL(`${repoRoot}${o.kinds ?? "supervisors/runtime/testing/test-kinds.ts"}`).href,
    cells: o.cells ?? 1,
    hangBudgetMs: o.hangBudgetMs ?? 1000,
    ...(o.spawnTimeoutMs !== undefined ? { spawnTimeoutMs: o.spawnTimeoutMs } : {}),
    log: createLogger({ level: logLevel }),
    logLevel,
  });
  await node.start();
  t.teardown(() => node.stop());
  return node;
}

/** What main.ts does before its node starts: the demo universe's definitions and listings in KV, where absent. */
export async function seedDemoInstruments(nc: import("@nats-io/transport-node").NatsConnection, n: number): Promise<void> {
  await putDefinitions(await openInstrumentBucket(nc), [...demoUniverse(n), ...demoListings(n)], { onlyAbsent: true });
}

/** A node process serving the gRPC gateway: gRPC clients on it (closed at teardown) and call metadata per role. */
export interface GatewayNode {
  node: NodeProcess;
  client(service: ServiceName): grpc.Client;
  as(role: Role): Promise<grpc.Metadata>;
  /** Once the venue connection is logged on and the instrument has a bid: a GTC limit buy of 2 at half the bid, so it rests. */
  restingBuy(instrument: string, strategy: string, book: string): Promise<Record<string, string>>;
}

/**
 * The platform as whole-system tests drive it over gRPC: a node process (the demo market of 5 instruments, no
 * QuestDB) on the test's nats-server, with its gateway on a free port and tokens signed with `secret`.
 */
export async function startGatewayNode(
  t: Teardown,
  name: string,
  servers: TestServers,
  secret: string,
  env: Record<string, string> = {},
): Promise<GatewayNode> {
  const gatewayPort = await freePort();
  const node = startNodeProcess(t, name, {
    AM_NATS_URL: servers.infra.natsUrl,
    AM_DEMO_INSTRUMENTS: "5",
    AM_CELLS: "2",
    AM_GATEWAY_PORT: String(gatewayPort),
    AM_GATEWAY_JWT_SECRET: secret,
    ...env,
  });
  await node.waitFor(/node up/, 60_000);
  const protos = loadProtos();
  const address = `127.0.0.1:${gatewayPort}`;
  const as = async (role: Role): Promise<grpc.Metadata> => {
    const m = new grpc.Metadata();
    m.set("authorization", `Bearer ${await mintToken(secret, { subject: `${role}-1`, role, ttlS: 600 })}`);
    return m;
  };
  const client = (service: ServiceName): grpc.Client => {
    const c = new (protos.client(service))(address, grpc.credentials.createInsecure());
    t.teardown(() => c.close());
    return c;
  };
  return {
    node,
    client,
    as,
    async restingBuy(instrument, strategy, book) {
      const poll = { timeoutMs: 30_000, everyMs: 200 };
      const market = client("MarketData");
      const venue = instrument.slice(instrument.lastIndexOf(".") + 1);
      // logged on, not only running: an order sent before its logon is rejected (CI saw all ten of a test's orders so)
      await eventually("the venue connection logged on", () => venueReady(servers.nc, venue), poll);
      const viewer = await as("viewer");
      const touch = await eventually(
        "a quote of the instrument",
        async () => {
          const b = await call<{ bids: { price: string }[] }>(market, "GetBook", { instrument, depth: 1 }, viewer);
          return b.bids.length ? b : undefined;
        },
        poll,
      );
      const price = String(Math.max(1, Math.floor((parseFixed(String(touch.bids[0]!.price)) * 0.5) / 1e8)));
      return {
        instrument,
        side: "SIDE_BUY",
        orderType: "ORDER_TYPE_LIMIT",
        quantity: "2",
        price,
        timeInForce: "TIME_IN_FORCE_GTC",
        strategy,
        book,
      };
    },
  };
}
