import { crc32 } from "node:zlib";
import fc from "fast-check";
import t from "tap";
import { bookChecksum, type Price, type Quantity, asPrice, asQuantity } from "../domain/index.ts";
import type { Emitted } from "../contract/index.ts";
import { FeedHandler, type RawFeedInput, demoUniverse } from "./index.ts";

const [def] = demoUniverse(1);
const P = 1_000_000;
const L = 100_000_000;

t.test("the book checksum is CRC-32 of the documented top-10 text", async (t) => {
  const bids = [
    [100 * P, 5 * L],
    [99 * P, 123_456_789_012],
  ];
  const asks = [[101 * P, 3 * L]];
  const text = `${100 * P}:${5 * L}:${101 * P}:${3 * L}:${99 * P}:123456789012`;
  const sum = bookChecksum(
    bids.map((l) => l[0]!),
    bids.map((l) => l[1]!),
    2,
    asks.map((l) => l[0]!),
    asks.map((l) => l[1]!),
    1,
  );
  t.equal(sum, crc32(text));
  t.equal(bookChecksum([], [], 0, [], [], 0), crc32(""));
});

/** A venue book: a map per side; each step sets a few levels (size 0 removes), always leaving bids below asks. */
const steps = fc.array(
  fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 4 }),
  { minLength: 5, maxLength: 60 },
);

t.test("a book rebuilt from snapshot and deltas, through a gap and a resync, equals the venue's book", async (t) => {
  fc.assert(
    fc.property(steps, fc.nat(), fc.nat(), fc.boolean(), (evolution, gapAt, snapAfter, withChecksum) => {
      const bids = new Map<Price, Quantity>();
      const asks = new Map<Price, Quantity>();
      const levels = (m: Map<Price, Quantity>, desc: boolean) => [...m.entries()].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]));
      const checksum = () => {
        const b = levels(bids, true);
        const a = levels(asks, false);
        return bookChecksum(
          b.map((l) => l[0]),
          b.map((l) => l[1]),
          b.length,
          a.map((l) => l[0]),
          a.map((l) => l[1]),
          a.length,
        );
      };
      const snapshot = (seq: number): RawFeedInput => ({
        type: "RawBookUpdate",
        instrument: def!.id,
        kind: "snapshot",
        bids: levels(bids, true),
        asks: levels(asks, false),
        seq,
        ...(withChecksum ? { checksum: checksum() } : {}),
        tsEvent: seq,
        tsInit: seq,
      });
      const h = new FeedHandler({ definition: def!, feedSource: "sim" });
      const out: Emitted[] = [];
      h.process(snapshot(0), 0, out);
      const gap = 1 + (gapAt % evolution.length);
      const answerAt = Math.min(evolution.length, gap + (snapAfter % 5));
      let answered = false;
      evolution.forEach((changes, i) => {
        const seq = i + 1;
        const db: [Price, Quantity][] = [];
        const da: [Price, Quantity][] = [];
        for (const [isBid, tick, lots] of changes) {
          // bids on ticks 1..40, asks on 41..80: never crossed
          const price = asPrice((isBid ? tick : 40 + tick) * P);
          const m = isBid ? bids : asks;
          if (lots === 0) m.delete(price);
          else m.set(price, asQuantity(lots * L));
          (isBid ? db : da).push([price, asQuantity(lots * L)]);
        }
        const delta = {
          type: "RawBookUpdate",
          instrument: def!.id,
          kind: "delta",
          bids: db,
          asks: da,
          seq,
          ...(withChecksum ? { checksum: checksum() } : {}),
          tsEvent: seq,
          tsInit: seq,
        } as RawFeedInput;
        if (seq !== gap) h.process(delta, seq, out); // the feed loses this one
        if (seq === answerAt) {
          h.process(snapshot(seq), seq, out);
          answered = true;
        }
      });
      if (!answered) h.process(snapshot(evolution.length), evolution.length, out);
      t.same(h.book.bids.levels(), levels(bids, true));
      t.same(h.book.asks.levels(), levels(asks, false));
      t.equal(h.bookSeq, evolution.length);
      t.ok(h.bookSynced);
      if (answerAt > gap) t.equal(h.counters.gaps, 1, "the lost delta is seen as a gap");
      t.equal(h.counters.checksumMismatches, 0, "checksums agree");
      const requests = out.filter((e) => e.type === "publish" && e.message.type === "BookSnapshotRequest");
      t.equal(requests.length, h.counters.snapshotRequests);
      for (const r of requests) t.equal(r.type === "publish" && r.subject, "am.cmd.feed.sim");
    }),
    { numRuns: 150 },
  );
});

t.test("buffers deltas during a resync and applies only those after the snapshot", async (t) => {
  const h = new FeedHandler({ definition: def!, feedSource: "sim" });
  const out: Emitted[] = [];
  const delta = (seq: number, price: number, size: number) => ({
    type: "RawBookUpdate",
    instrument: def!.id,
    kind: "delta",
    bids: [[price * P, size * L]],
    asks: [],
    seq,
    tsEvent: seq,
    tsInit: seq,
  });
  h.process(delta(5, 10, 1), 5, out);
  t.equal(h.counters.snapshotRequests, 1, "a delta before any snapshot asks for one");
  h.process(delta(6, 11, 1), 6, out);
  h.process(delta(7, 12, 1), 7, out);
  h.process(
    {
      type: "RawBookUpdate",
      instrument: def!.id,
      kind: "snapshot",
      bids: [[10 * P, 9 * L]],
      asks: [[50 * P, L]],
      seq: 6,
      tsEvent: 8,
      tsInit: 8,
    },
    8,
    out,
  );
  t.same(
    h.book.bids.levels(),
    [
      [12 * P, L],
      [10 * P, 9 * L],
    ],
    "delta 7 applied on top of snapshot 6; 5 and 6 dropped",
  );
  t.equal(h.bookSeq, 7);
  t.equal(h.counters.resyncs, 1);
  const published = out.filter((e) => e.type === "publish" && e.message.type === "BookUpdate");
  t.equal(published.length, 1);
  t.match(published[0]!.type === "publish" && published[0]!.message, { kind: "snapshot", seq: 7 });
  h.process(delta(9, 13, 1), 9, out);
  t.equal(h.counters.gaps, 1);
  t.notOk(h.bookSynced);
  h.process(delta(10, 13, 2), 10, out);
  h.process(delta(6, 13, 2), 11, out);
  h.tick(10 + 2_000_000, out);
  t.equal(h.counters.snapshotRequests, 3, "asked again after the timeout");
});

t.test("a checksum mismatch triggers a resync", async (t) => {
  const h = new FeedHandler({ definition: def!, feedSource: "sim" });
  const out: Emitted[] = [];
  h.process(
    { type: "RawBookUpdate", instrument: def!.id, kind: "snapshot", bids: [[10 * P, L]], asks: [], seq: 1, tsEvent: 1, tsInit: 1 },
    1,
    out,
  );
  h.process(
    {
      type: "RawBookUpdate",
      instrument: def!.id,
      kind: "delta",
      bids: [[11 * P, L]],
      asks: [],
      seq: 2,
      checksum: 12345,
      tsEvent: 2,
      tsInit: 2,
    },
    2,
    out,
  );
  t.equal(h.counters.checksumMismatches, 1);
  t.notOk(h.bookSynced);
  t.equal(h.counters.snapshotRequests, 1);
});
