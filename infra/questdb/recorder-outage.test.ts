import { jetstream } from "@nats-io/jetstream";
import t from "tap";
import { parseInstrumentId, subjects } from "../../actors/contract/index.ts";
import { asPrice, asQuantity, type OrderEvent } from "../../actors/domain/index.ts";
import { eventually, restartNatsServer, startTestServers } from "../../test/testing.ts";
import { encodeMessage } from "../nats/index.ts";
import { createLogger } from "../telemetry/index.ts";
import { declareTables, questdbSql, Recorder, rowsOf } from "./index.ts";
import { filled, submitted, walApplied } from "./testing.ts";

const quiet = process.env.AM_TEST_LOG
  ? createLogger({ json: false, write: (l) => process.stderr.write(`${l}\n`) })
  : createLogger({ write: () => {} });
const T0 = 1_770_000_000_000_000;
/** the recorder's ack_wait (recorder.ts): a message whose ack was lost is delivered again after it */
const ACK_WAIT_MS = 30_000;

t.test("nats-server killed with -9 under a recording recorder: once it is back, every message before and after has one row", async (t) => {
  const { infra, nc } = await startTestServers(t, { questdb: true });
  const url = infra.questdbUrl!;
  await declareTables(url);
  // the platform's settings (ack_wait included), but no lag log line
  const r = new Recorder({ nc, questdbUrl: url, statsIntervalMs: 0, ackWaitMs: ACK_WAIT_MS, log: quiet });
  await r.start();
  t.teardown(() => r.stop());
  const js = jetstream(nc);
  const publish = async (subject: string, m: { type: string; [k: string]: unknown }) => {
    const { data, headers } = encodeMessage(m);
    await js.publish(subject, data, { headers });
  };
  let sent = 0;
  const quotes = async (n: number) => {
    for (let k = 0; k < n; k++, sent++)
      await publish(subjects.md("quote", parseInstrumentId("OUT1.SIM")), {
        type: "Quote",
        instrument: "OUT1.SIM",
        bid: asPrice(100_00000000 + sent),
        bidSize: asQuantity(1_00000000),
        ask: asPrice(100_01000000 + sent),
        askSize: asQuantity(1_00000000),
        seq: sent,
        tsEvent: T0 + sent * 1000,
        tsInit: T0 + sent * 1000,
      });
  };
  const orders: string[] = [];
  const order = async (k: number) => {
    const id = `OUT-${k}`;
    orders.push(id);
    const events: OrderEvent[] = [
      submitted(id, "OUT1.SIM", T0 + k * 1000),
      filled(id, `OUT-E-${k}`, 3_00000000, 3_00000000, T0 + k * 1000 + 1),
    ];
    for (const e of events) await publish(subjects.evt("order", id, e.type), e);
  };
  for (let k = 0; k < 20; k++) {
    await quotes(50);
    await order(k);
  }

  const [natsPid] = infra.pids;
  process.kill(natsPid!, "SIGKILL");
  await restartNatsServer(t, infra);
  const backAt = Date.now();
  await eventually(
    "the connection back",
    async () =>
      (await nc
        .flush()
        .then(() => true)
        .catch(() => undefined)) ?? undefined,
    {
      timeoutMs: 20_000,
      everyMs: 100,
    },
  );
  for (let k = 20; k < 40; k++) {
    await quotes(50);
    await order(k);
  }

  const rowsIn = await eventually(
    "every message's row in QuestDB",
    async () => {
      const q = rowsOf(await questdbSql(url, "SELECT count_distinct(seq) n FROM quotes WHERE symbol = 'OUT1'"))[0]?.n;
      const f = rowsOf(await questdbSql(url, "SELECT count_distinct(fill_id) n FROM fills WHERE symbol = 'OUT1'"))[0]?.n;
      return q === sent && f === orders.length ? Date.now() - backAt : undefined;
    },
    { timeoutMs: 60_000, everyMs: 100 },
  );
  t.comment(`every row in QuestDB ${rowsIn} ms after nats-server was back`);
  // Acknowledgements written into the dying connection, or buffered by nats.js while it was down, never reached the
  // server: the recorder sends its recent ones again on reconnect, so none waits for ack_wait's redelivery.
  const caughtUp = await eventually(
    "every message recorded and acknowledged",
    async () => {
      const s = await r.stats();
      const md = s.marketData;
      const o = s.orders;
      return md && o && md.numPending + md.numAckPending + o.numPending + o.numAckPending === 0 ? Date.now() - backAt : undefined;
    },
    { timeoutMs: 60_000, everyMs: 100 },
  );
  t.comment(`every message acknowledged ${caughtUp} ms after nats-server was back`);
  t.ok(caughtUp < ACK_WAIT_MS, "acknowledged before ack_wait (the platform's 30 s) would have redelivered a message whose ack was lost");
  await walApplied(url, "quotes");
  await walApplied(url, "fills");
  const q = rowsOf(await questdbSql(url, "SELECT seq, count() n FROM quotes WHERE symbol = 'OUT1' GROUP BY seq"));
  t.equal(q.length, sent, "every quote has its row");
  t.ok(
    q.every((x) => x.n === 1),
    "and only one",
  );
  const f = rowsOf(await questdbSql(url, "SELECT fill_id, count() n FROM fills WHERE symbol = 'OUT1' GROUP BY fill_id"));
  t.equal(f.length, orders.length, "every fill has its row");
  t.ok(
    f.every((x) => x.n === 1),
    "and only one",
  );
});
