import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { Reply, subjects, systemClock } from "../contract/index.ts";
import { decodeAs, encodeMessage } from "../../infra/nats/codec.ts";
import { connectNats, SnapshotStore } from "../../infra/nats/index.ts";
import { Journal } from "../../infra/nats/journal.ts";
import { declareTables, questdbSql, Recorder, rowsOf } from "../../infra/questdb/index.ts";
import { laneDurable } from "../../infra/questdb/lanes.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { eventually, startTestServers, type Teardown } from "../../test/testing.ts";
import { ActorHost } from "../../supervisors/runtime/actor-host.ts";
import { riskBookKind } from "./kind.ts";
import type { RiskBookContext } from "./machine.ts";
import { AAPL, px, qty, testConfig } from "./testing.ts";

const log = createLogger({ level: "error" });
const BOOK = "north";

/** The approved orders' entities: each takes its order. */
function acceptOrders(t: Teardown, nc: NatsConnection): void {
  const orders = nc.subscribe(subjects.cmdAll("order"), {
    callback: (_e, m) => {
      const { data, headers } = encodeMessage({ type: "Reply", ok: true });
      m.respond(data, { headers });
    },
  });
  t.teardown(() => orders.unsubscribe());
}

/** Submits the book's next order (o1, o2, …; order n is for n lots) and says whether it was approved. */
function submitter(nc: NatsConnection) {
  let n = 0;
  return async (): Promise<boolean> => {
    const now = Date.now() * 1000;
    n++;
    const { data, headers } = encodeMessage({
      type: "SubmitOrder",
      clientOrderId: `o${n}`,
      instrument: AAPL,
      side: n % 3 === 0 ? "SELL" : "BUY",
      orderType: "LIMIT",
      price: px(100 + n),
      quantity: qty(n),
      timeInForce: "GTC",
      postOnly: false,
      reduceOnly: false,
      strategy: "s1",
      book: BOOK,
      tsEvent: now,
      tsInit: now,
    });
    const m = await nc.request(subjects.cmd("risk-book", BOOK), data, { headers, timeout: 5_000 });
    return decodeAs(Reply, m.data, m.headers).ok;
  };
}

/** The stream sequences of the book's journal as it stands. */
async function journalOf(nc: NatsConnection): Promise<number[]> {
  const seqs: number[] = [];
  for await (const r of new Journal(nc, subjects.evtOf("risk-book", BOOK), () => "", BOOK).read()) seqs.push(r.seq);
  return seqs;
}

const bookOf = (h: ActorHost) => structuredClone((h.snapshot as unknown as { context: RiskBookContext }).context.book);

t.test("a book that crashed replays only the journal since its last snapshot, and comes back as it was", async (t) => {
  const f = await startTestServers(t);
  const kind = riskBookKind({ books: new Map([[BOOK, testConfig({ book: BOOK })]]), marked: [], snapshotEveryMs: 100 });
  acceptOrders(t, f.nc);
  // The book's process has a connection of its own: closing it is the crash, with no snapshot at a stop.
  const doomed = await connectNats(f.infra.natsUrl, "doomed");
  const env = { store: await SnapshotStore.open(doomed), clock: systemClock, log, onExit: () => {} };
  const before = new ActorHost(kind, BOOK, { ...env, nc: doomed });
  await before.incarnate();
  const submit = submitter(f.nc);

  for (let i = 1; i <= 12; i++) t.ok(await submit(), `order o${i} approved`);
  const first = await journalOf(f.nc);
  t.equal(first.length, 12, "each approval journaled");
  const snapshotted = await eventually("a snapshot of the book while it runs", async () => {
    const seq = (await f.store.load("risk-book", BOOK)).stored?.seq ?? 0;
    return seq >= first.at(-1)! ? seq : undefined;
  });
  t.equal(snapshotted, first.at(-1), "the snapshot holds every event journaled before it");
  for (let i = 13; i <= 15; i++) t.ok(await submit(), `order o${i} approved`);
  const book = bookOf(before);
  await doomed.close();

  const all = await journalOf(f.nc);
  t.equal(all.length, 15, "without an archive, the journal is kept whole");
  const stored = (await f.store.load("risk-book", BOOK)).stored!;
  const after = new ActorHost(kind, BOOK, { ...env, nc: f.nc, store: f.store });
  await after.incarnate();
  t.teardown(() => after.stop());
  t.equal(after.stats.replayed, all.filter((s) => s > stored.seq).length, "the restart replays the events after the snapshot");
  t.ok(after.stats.replayed <= 3, `it replays at most the 3 approvals since the first snapshot (${after.stats.replayed}), not all 15`);
  t.same(bookOf(after), book, "the book is as the crashed one left it");
  t.ok(await submit(), "and it goes on");
  t.equal((await journalOf(f.nc)).length, 16, "journaling");
});

t.test("a book's journal leaves AM_EVT once QuestDB holds it, and only as far as the archive acknowledged", async (t) => {
  const f = await startTestServers(t, { questdb: true });
  const url = f.infra.questdbUrl!;
  await declareTables(url);
  const recorder = new Recorder({
    nc: f.nc,
    questdbUrl: url,
    durable: "t-rec",
    record: { marketData: false, orders: false, riskBooks: true },
    statsIntervalMs: 0,
    log,
  });
  await recorder.start();
  let recording = true;
  t.teardown(() => recording && recorder.stop());
  const limits = { maxOrderQuantity: qty(20) };
  const kind = riskBookKind({
    books: new Map([[BOOK, testConfig({ book: BOOK, limits })]]),
    marked: [],
    snapshotEveryMs: 100,
    journalArchivedBy: laneDurable("t-rec", "riskBooks"),
  });
  acceptOrders(t, f.nc);
  const host = new ActorHost(kind, BOOK, { nc: f.nc, store: f.store, clock: systemClock, log, onExit: () => {} });
  await host.incarnate();
  t.teardown(() => host.stop());
  const submit = submitter(f.nc);
  for (let i = 1; i <= 20; i++) await submit();
  t.notOk(await submit(), "o21, for 21 lots, is denied (at most 20)");
  const events = async () => Number(rowsOf(await questdbSql(url, `SELECT count() n FROM risk_events WHERE book = '${BOOK}'`))[0]?.n);
  await eventually("QuestDB holds the 21 events", async () => (await events()) === 21, { timeoutMs: 30_000, everyMs: 200 });
  const [denial] = rowsOf(await questdbSql(url, `SELECT event, order_id, instrument, body FROM risk_events WHERE event = 'OrderDenied'`));
  t.match(denial, { event: "OrderDenied", order_id: "o21", instrument: AAPL }, "the denial's row");
  t.match(JSON.parse(String(denial?.body)), { type: "OrderDenied", reason: "MAX_ORDER_QUANTITY", strategy: "s1" }, "with the event whole");
  const left = await eventually("the journal compacted", async () => {
    const seqs = await journalOf(f.nc);
    return seqs.length <= 2 ? seqs : undefined;
  });
  t.ok(left.length >= 1, `the snapshot's own event stays (${left.length} left of 21): the fence of the next append`);

  // The archive stops: what it has not acknowledged stays in the journal, snapshots or not.
  await recorder.stop();
  recording = false;
  for (let i = 22; i <= 26; i++) await submit();
  const unarchived = (await journalOf(f.nc)).filter((seq) => seq > left.at(-1)!);
  t.equal(unarchived.length, 5, "5 approvals journaled while the archive is stopped");
  await eventually("a snapshot of the 5 approvals", async () => {
    const seq = (await f.store.load("risk-book", BOOK)).stored?.seq ?? 0;
    const seqs = await journalOf(f.nc);
    return seq === seqs.at(-1) || undefined;
  });
  await new Promise((r) => setTimeout(r, 300));
  t.same((await journalOf(f.nc)).slice(-5), unarchived, "the approvals the archive did not take are kept, snapshot or not");

  // and a restart reads the snapshot and what follows it
  const book = bookOf(host);
  await host.stop();
  const again = new ActorHost(kind, BOOK, { nc: f.nc, store: f.store, clock: systemClock, log, onExit: () => {} });
  await again.incarnate();
  t.teardown(() => again.stop());
  t.same(bookOf(again), book, "the book comes back as it was");
});
