import t from "tap";
import { Reply, subjects, systemClock } from "../contract/index.ts";
import { decodeAs, encodeMessage } from "../../infra/nats/codec.ts";
import { connectNats, SnapshotStore } from "../../infra/nats/index.ts";
import { Journal } from "../../infra/nats/journal.ts";
import { createLogger } from "../../infra/telemetry/log.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { ActorHost } from "../../supervisors/runtime/actor-host.ts";
import { riskBookKind } from "./kind.ts";
import type { RiskBookContext } from "./machine.ts";
import { AAPL, px, qty, testConfig } from "./testing.ts";

const log = createLogger({ level: "error" });

t.test("a book that crashed replays only the journal since its last snapshot, and comes back as it was", async (t) => {
  const f = await startTestServers(t);
  const kind = riskBookKind({ books: new Map([["north", testConfig({ book: "north" })]]), marked: [], snapshotEveryMs: 100 });
  // the approved orders' entities: each takes its order
  const orders = f.nc.subscribe(subjects.cmdAll("order"), {
    callback: (_e, m) => {
      const { data, headers } = encodeMessage({ type: "Reply", ok: true });
      m.respond(data, { headers });
    },
  });
  t.teardown(() => orders.unsubscribe());
  // The book's process has a connection of its own: closing it is the crash, with no snapshot at a stop.
  const doomed = await connectNats(f.infra.natsUrl, "doomed");
  const env = { store: await SnapshotStore.open(doomed), clock: systemClock, log, onExit: () => {} };
  const before = new ActorHost(kind, "north", { ...env, nc: doomed });
  await before.incarnate();

  let n = 0;
  const submit = async () => {
    const now = Date.now() * 1000;
    const { data, headers } = encodeMessage({
      type: "SubmitOrder",
      clientOrderId: `o${++n}`,
      instrument: AAPL,
      side: n % 3 === 0 ? "SELL" : "BUY",
      orderType: "LIMIT",
      price: px(100 + n),
      quantity: qty(n),
      timeInForce: "GTC",
      postOnly: false,
      reduceOnly: false,
      strategy: "s1",
      book: "north",
      tsEvent: now,
      tsInit: now,
    });
    const m = await f.nc.request(subjects.cmd("risk-book", "north"), data, { headers, timeout: 5_000 });
    t.equal(decodeAs(Reply, m.data, m.headers).ok, true, `order o${n} approved`);
  };
  const journal = async (): Promise<number[]> => {
    const seqs: number[] = [];
    for await (const r of new Journal(f.nc, subjects.evtOf("risk-book", "north"), () => "", "north").read()) seqs.push(r.seq);
    return seqs;
  };
  for (let i = 0; i < 12; i++) await submit();
  const first = await journal();
  t.equal(first.length, 12, "each approval journaled");
  const snapshotted = await eventually("a snapshot of the book while it runs", async () => {
    const seq = (await f.store.load("risk-book", "north")).stored?.seq ?? 0;
    return seq >= first.at(-1)! ? seq : undefined;
  });
  t.equal(snapshotted, first.at(-1), "the snapshot holds every event journaled before it");
  for (let i = 0; i < 3; i++) await submit();
  const book = structuredClone((before.snapshot as unknown as { context: RiskBookContext }).context.book);
  await doomed.close();

  const all = await journal();
  t.equal(all.length, 15, "the journal is kept whole");
  const stored = (await f.store.load("risk-book", "north")).stored!;
  const after = new ActorHost(kind, "north", { ...env, nc: f.nc, store: f.store });
  await after.incarnate();
  t.teardown(() => after.stop());
  t.equal(after.stats.replayed, all.filter((s) => s > stored.seq).length, "the restart replays the events after the snapshot");
  t.ok(after.stats.replayed <= 3, `it replays at most the 3 approvals since the first snapshot (${after.stats.replayed}), not all 15`);
  t.same((after.snapshot as unknown as { context: RiskBookContext }).context.book, book, "the book is as the crashed one left it");
  await submit();
  t.equal((await journal()).length, 16, "and it goes on journaling");
});
