import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { asQuantity, type OrderEvent } from "../../actors/domain/index.ts";
import type { TestInfra } from "../local/index.ts";
import { buckets, encodeMessage, streams } from "../nats/index.ts";
import { createLogger } from "../telemetry/index.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { ClosedOrderArchive } from "./closed-order-archive.ts";
import { declareTables, latestOrderOf, Recorder } from "./index.ts";
import { filled, submitted } from "./testing.ts";

let infra: TestInfra;
let url: string;
let nc: NatsConnection;
t.before(async () => {
  ({ infra, nc } = await startTestServers(t, { questdb: true }));
  url = infra.questdbUrl ?? "";
  await declareTables(url);
});
const quiet = createLogger({ write: () => {} });
const nowUs = () => Date.now() * 1000;

async function publish(e: OrderEvent): Promise<void> {
  const { data, headers } = encodeMessage(e);
  await jetstream(nc).publish(subjects.evt("order", e.clientOrderId, e.type), data, { headers });
}

/** An order's events in AM_EVT: how many are stored under its subjects. */
async function journalOf(id: string): Promise<number> {
  const info = await (await jetstreamManager(nc)).streams.info(streams.events, { subjects_filter: subjects.evtOf("order", id) });
  return Object.values(info.state.subjects ?? {}).reduce((a, n) => a + n, 0);
}

const canceled = (id: string, ts: number): OrderEvent => ({
  type: "OrderCanceled",
  clientOrderId: id,
  cause: "USER",
  cumQty: asQuantity(0),
  tsEvent: ts,
  tsInit: ts,
});

/** Three orders: one filled, one canceled, one still open. */
async function threeOrders(prefix: string): Promise<[closed: string[], open: string]> {
  const ts = nowUs();
  const [a, b, c] = [`${prefix}-1`, `${prefix}-2`, `${prefix}-3`];
  for (const id of [a, b, c]) await publish(submitted(id, "ARC1.SIM", ts));
  await publish(filled(a, "E-1", 3_00000000, 3_00000000, ts + 10));
  await publish(canceled(c, ts + 20));
  return [[a, c], b];
}

t.test("a closed order's journal leaves AM_EVT once recorded and old enough; an open order's stays; history still answers", async (t) => {
  const [closed, open] = await threeOrders("ARC");
  for (const id of [...closed, open]) t.ok((await journalOf(id)) > 0, `${id} is journaled`);
  const recorder = new Recorder({
    nc,
    questdbUrl: url,
    durable: "arc-rec",
    record: { marketData: false },
    statsIntervalMs: 0,
    archiveClosedOrdersAfterMs: 1_000,
    log: quiet,
  });
  await recorder.start();
  t.teardown(() => recorder.stop());

  await eventually(
    "the closed orders' journals purged",
    async () => ((await journalOf(closed[0]!)) + (await journalOf(closed[1]!)) === 0 ? true : undefined),
    {
      timeoutMs: 30_000,
      everyMs: 200,
    },
  );
  t.equal(await journalOf(open), 1, "the open order's journal is whole");
  t.equal((await latestOrderOf(url, closed[0]!))?.status, "FILLED", "the filled order is read from QuestDB");
  t.equal((await latestOrderOf(url, closed[1]!))?.status, "CANCELED", "the canceled order is read from QuestDB");
  const mark = await (await new Kvm(nc).open(buckets.snapshots)).get("archive.closed-orders");
  t.ok(mark && Number(mark.string()) > 0, "the watermark is kept in KV for the next start");
});

t.test("the watermark never passes what the recorder has not written, so a lagging recorder's orders are purged later", async (t) => {
  const jsm = await jetstreamManager(nc);
  // the recorder's consumer, not pulled yet: the new orders stay unacknowledged
  await jsm.consumers.add(streams.events, {
    durable_name: "arc-lag-orders",
    ack_policy: AckPolicy.Explicit,
    filter_subjects: [subjects.evtAll("order")],
  });
  const before = nowUs();
  const [closed] = await threeOrders("LAG");
  const archive = new ClosedOrderArchive({
    nc,
    questdbUrl: url,
    afterMs: 1_000,
    intervalMs: 100,
    recorderDurable: "arc-lag-orders",
    log: quiet,
  });
  const kv = await new Kvm(nc).open(buckets.snapshots);
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await archive.archive();
  }
  t.ok(Number((await kv.get("archive.closed-orders"))?.string() ?? 0) <= before, "the watermark stopped before the unwritten orders");
  t.ok((await journalOf(closed[0]!)) > 0, "the unrecorded closed order keeps its journal");

  const recorder = new Recorder({ nc, questdbUrl: url, durable: "arc-lag", record: { marketData: false }, statsIntervalMs: 0, log: quiet });
  await recorder.start();
  t.teardown(() => recorder.stop());
  await eventually(
    "the closed orders purged once recorded",
    async () => {
      await archive.archive();
      return (await journalOf(closed[0]!)) + (await journalOf(closed[1]!)) === 0 ? true : undefined;
    },
    { timeoutMs: 30_000, everyMs: 200 },
  );
});

t.test("a new archive purges nothing in its first afterMs", async (t) => {
  const recorder = new Recorder({ nc, questdbUrl: url, durable: "arc-new", record: { marketData: false }, statsIntervalMs: 0, log: quiet });
  await recorder.start();
  t.teardown(() => recorder.stop());
  const [closed] = await threeOrders("NEW");
  const fresh = new ClosedOrderArchive({
    nc,
    questdbUrl: url,
    afterMs: 3_000,
    intervalMs: 100,
    recorderDurable: "arc-new-orders",
    log: quiet,
  });
  const started = Date.now();
  while (Date.now() - started < 2_000) {
    await fresh.archive();
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(fresh.counts.purged, 0, "nothing purged yet");
  await eventually(
    "the closed orders purged after afterMs",
    async () => {
      await fresh.archive();
      return (await journalOf(closed[0]!)) + (await journalOf(closed[1]!)) === 0 ? true : undefined;
    },
    { timeoutMs: 30_000, everyMs: 200 },
  );
});
