/**
 * A cell: a worker thread with its own NATS connection hosting a share of the node's actors. A handler that never
 * returns blocks only its cell; the node's watchdog sees the heartbeat stop, names the busy actor, and ends the cell.
 */
import { parentPort, workerData } from "node:worker_threads";
import { errorMessage, systemClock } from "../../actors/contract/index.ts";
import { connectNats } from "../../infra/nats/connect.ts";
import { SnapshotStore } from "../../infra/nats/snapshot-store.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { observeGauge } from "../../infra/telemetry/metrics.ts";
import { collectThreadFigures, startThreadTelemetry, stopThreadTelemetry, telemetryOf } from "../../infra/telemetry/thread-telemetry.ts";
import { type ActorHost, gateActing } from "../runtime/actor-host.ts";
import { ActorTree } from "../runtime/actor-tree.ts";
import { loadKinds } from "../runtime/kinds-module.ts";
import { type CellData, type CellMessage, type CellRequest, HEARTBEAT_MS } from "./protocol.ts";

const data = workerData as CellData;
const port = parentPort!;
const beat = new Float64Array(data.shared, 0, 1);
const busy = new Int32Array(data.shared, 8, 1);
const actUntil = new Float64Array(data.shared, 16, 1);
const post = (m: CellMessage) => port.postMessage(m);
const log = createLogger({ level: data.logLevel, base: { node: data.node, cell: data.cell } });

// Each cell measures on its own provider (the node asks at scrape time) and exports its own spans.
startThreadTelemetry(telemetryOf(data.config), data.node, `cell-${data.cell}`);

const heartbeat = () => (beat[0] = performance.timeOrigin + performance.now());
heartbeat();
setInterval(heartbeat, HEARTBEAT_MS);

let received = 0;
const slots = new WeakMap<ActorHost, number>();
let nextSlot = 1;
const slotOf = (h: ActorHost): number => {
  let s = slots.get(h);
  if (s === undefined) {
    s = nextSlot++;
    slots.set(h, s);
    post({ t: "slot", slot: s, key: h.key });
  }
  return s;
};

// The node's leases unconfirmed (its main thread stalled, say): hold every actor until they are, or until the node
// releases the actors whose leases it lost. Another node may take a lease the moment it expires.
let heldSince = 0;
gateActing(() => {
  const now = Date.now();
  if (now <= actUntil[0]!) {
    if (heldSince) log.info("cell acts again: the node's leases are confirmed", { heldMs: now - heldSince });
    heldSince = 0;
    return true;
  }
  if (!heldSince) {
    heldSince = now;
    log.warn("cell holds its actors: the node's leases are not confirmed", { sinceMs: now - actUntil[0]! });
  }
  return false;
});

const nc = await connectNats(data.natsUrl, `alphamind-${data.node}-cell${data.cell}`);
const hosted = await loadKinds(data.kindsModule, { nc, config: data.config, log });
const tree = new ActorTree(hosted.kinds, {
  nc,
  store: await SnapshotStore.open(nc),
  clock: systemClock,
  log,
  onLifecycle: (event) => post({ t: "lifecycle", event }),
  onProcessing: (h, isBusy) => {
    Atomics.store(busy, 0, isBusy ? slotOf(h) : 0);
    if (!isBusy) heartbeat();
  },
  // A burst of reads on a starved machine can keep the loop from timers and handlers for over a second; messages
  // still arriving prove the thread is not hung (one clock read per 256 messages).
  onReceive: () => {
    if ((++received & 255) === 0) heartbeat();
  },
});
await tree.start();
hosted.attach?.(tree);
observeGauge("am.actor.mailbox_depth", "Messages waiting in the mailboxes of a kind's actors", () =>
  [...tree.mailboxDepths()].map(([kind, depth]) => [depth, { "am.kind": kind }]),
);

async function handle(r: CellRequest): Promise<unknown> {
  switch (r.op) {
    case "spawn":
      return tree.spawn(r.kind, r.id);
    case "stop":
      return tree.stopActor(r.kind, r.id);
    case "restart":
      return tree.restartActor(r.kind, r.id);
    case "release":
      return tree.release(r.kind, r.id);
    case "quarantine":
      return tree.quarantine(r.kind, r.id, r.reason);
    case "describe":
      return tree.describe(r.kind, r.id);
    case "tree":
      return tree.tree();
    case "metrics":
      return collectThreadFigures();
    case "shutdown":
      await tree.stop();
      await hosted.close();
      await nc.drain();
      await stopThreadTelemetry();
      setImmediate(() => process.exit(0));
      return undefined;
  }
}

port.on("message", (m: { rid: number; req: CellRequest }) => {
  handle(m.req).then(
    (value) =>
      post({
        t: "reply",
        rid: m.rid,
        ok: true,
        // figures go by structured clone as they are; other answers as JSON (bigints as text)
        value:
          value === undefined || m.req.op === "metrics"
            ? value
            : JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v))),
      }),
    (e) => post({ t: "reply", rid: m.rid, ok: false, error: errorMessage(e) }),
  );
});
post({ t: "ready" });
