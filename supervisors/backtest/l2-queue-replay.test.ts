import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { priceOf, quantityOf, Side } from "../../actors/domain/index.ts";
import { csvL2Chunks } from "./l2-records.ts";
import { type L2OrderAction, replayL2Queue } from "./l2-queue-replay.ts";

const I = "SIM001.SIMX";
const HEADER = "ts,instrument,event,side,price,size\n";

function l2File(t: { teardown(fn: () => void): void }, rows: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "am-l2-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "book.csv");
  writeFileSync(path, HEADER + rows.map((r) => `${r}\n`).join(""));
  return path;
}

const bid: L2OrderAction = { atUs: 20, place: { id: "a", instrument: I, side: Side.Buy, price: priceOf(100), quantity: quantityOf(50) } };

t.test("from a file: an order behind 300 fills only after 300 traded at its price", async (t) => {
  const path = l2File(t, [
    `10,${I},level,BID,100.00,300`,
    `10,${I},level,ASK,100.01,200`,
    `30,${I},trade,SELL,100.00,120`,
    `30,${I},level,BID,100.00,180`,
    `40,${I},trade,SELL,100.00,180`,
    `40,${I},level,BID,100.00,0`,
    `50,${I},level,BID,100.00,70`,
    `60,${I},trade,SELL,100.00,70`,
  ]);
  const r = await replayL2Queue(csvL2Chunks(path), [bid]);
  t.equal(r.recorded, 8);
  t.same(
    r.events.map((e) => [e.type, e.tsUs, "ahead" in e ? e.ahead / 1e8 : "quantity" in e ? e.quantity / 1e8 : e.leaves / 1e8]),
    [
      ["Queued", 20, 300],
      ["QueueAdvanced", 30, 180],
      ["QueueAdvanced", 40, 0],
      ["Filled", 60, 50],
    ],
    "queued behind 300; 120 then 180 traded ahead; 70 joined behind; the next print fills it",
  );
});

t.test("from a file: cancels ahead move the order up pro rata", async (t) => {
  const path = l2File(t, [`10,${I},level,BID,100.00,300`, `30,${I},level,BID,100.00,400`, `40,${I},level,BID,100.00,200`]);
  const r = await replayL2Queue(csvL2Chunks(path), [bid]);
  t.same(
    r.events.at(-1),
    { type: "QueueAdvanced", tsUs: 40, id: "a", ahead: quantityOf(150), by: "cancel" },
    "half the queue went: 300 → 150",
  );
});

t.test("the same file and orders give the same journal hash", async (t) => {
  const rows = [`10,${I},level,BID,100.00,300`];
  for (let i = 0; i < 50; i++)
    rows.push(`${30 + i},${I},trade,SELL,100.00,${(i % 7) + 1}`, `${30 + i},${I},level,BID,100.00,${300 - 5 * i}`);
  const path = l2File(t, rows);
  const one = await replayL2Queue(csvL2Chunks(path), [bid, { atUs: 55, cancel: "a" }]);
  const two = await replayL2Queue(csvL2Chunks(path), [bid, { atUs: 55, cancel: "a" }]);
  t.match(one.sha256, /^[0-9a-f]{64}$/);
  t.equal(one.sha256, two.sha256);
  t.same(one.events, two.events);
  t.equal(one.events.at(-1)?.type, "Cancelled");
});

t.test("a bad row is refused naming the file, the row and the field", async (t) => {
  const read = async (rows: string[]) => {
    for await (const _ of csvL2Chunks(l2File(t, rows)));
  };
  await t.rejects(read([`10,${I},level,MID,100.00,300`]), /row 2: side "MID" of a level must be BID or ASK/);
  await t.rejects(read([`x,${I},level,BID,100.00,300`]), /row 2: ts x is not integer µs since the epoch/);
  await t.rejects(read([`10,${I},quote,BID,100.00,300`]), /row 2: event "quote" must be level or trade/);
  await t.rejects(read([`10,${I},level,BID,100.001234567,300`]), /row 2: price: 100.001234567 has more than 8 decimals/);
  const noSize = join(mkdtempSync(join(tmpdir(), "am-l2-")), "bad.csv");
  t.teardown(() => rmSync(noSize, { force: true }));
  writeFileSync(noSize, `ts,instrument,event,side,price\n10,${I},level,BID,100\n`);
  await t.rejects(
    (async () => {
      for await (const _ of csvL2Chunks(noSize));
    })(),
    /row 1: the header lacks size/,
  );
});
