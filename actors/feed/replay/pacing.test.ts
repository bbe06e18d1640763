import { asPrice, asQuantity } from "../../domain/index.ts";
import fc from "fast-check";
import t from "tap";
import { mergeByTime, type ReplayClock, ReplayOrderError, type ReplayRecord, replay } from "./index.ts";

/** A clock that only moves when the replay sleeps: sleeping is instant and exact. */
class FakeClock implements ReplayClock {
  now = 5_000;
  sleeps: number[] = [];
  nowMs(): number {
    return this.now;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.now += ms;
  }
}

const T0 = 1_760_000_000_000_000;
const trade = (tsEvent: number, tradeId = `T${tsEvent}`, instrument = "ABC.SIM"): ReplayRecord => ({
  type: "RawTrade",
  instrument,
  price: asPrice(100_00000000),
  size: asQuantity(1_00000000),
  aggressor: "BUY",
  tradeId,
  tsEvent,
  tsInit: tsEvent,
});

async function run(records: ReplayRecord[], speed: number | "max", clock = new FakeClock()) {
  const at: [ts: number, wallMs: number][] = [];
  const summary = await replay(records, { speed, clock, publish: (r) => void at.push([r.tsEvent, clock.now]) });
  return { at, summary, clock };
}

t.test("at real time each record is published its event-time distance after the first", async (t) => {
  const { at, summary } = await run([trade(T0), trade(T0 + 250_000), trade(T0 + 250_000), trade(T0 + 2_000_000)], 1);
  t.same(at, [
    [T0, 5_000],
    [T0 + 250_000, 5_250],
    [T0 + 250_000, 5_250],
    [T0 + 2_000_000, 7_000],
  ]);
  t.same(summary, { published: 4, firstTsUs: T0, lastTsUs: T0 + 2_000_000 });
});

t.test("at x10 a minute of data takes six seconds of wall time", async (t) => {
  const records = Array.from({ length: 61 }, (_, i) => trade(T0 + i * 1_000_000));
  const { at, clock } = await run(records, 10);
  t.equal(clock.now - 5_000, 6_000);
  t.same(
    at.slice(0, 3).map(([, w]) => w),
    [5_000, 5_100, 5_200],
  );
});

t.test("as fast as possible never sleeps", async (t) => {
  const { at, clock } = await run([trade(T0), trade(T0 + 3_600_000_000)], "max");
  t.same(clock.sleeps, []);
  t.same(at, [
    [T0, 5_000],
    [T0 + 3_600_000_000, 5_000],
  ]);
});

t.test("a slow publisher does not make the replay fall further behind: pacing is from the first record", async (t) => {
  const clock = new FakeClock();
  const at: number[] = [];
  await replay([trade(T0), trade(T0 + 100_000), trade(T0 + 200_000), trade(T0 + 300_000)], {
    speed: 1,
    clock,
    publish: () => {
      at.push(clock.now);
      clock.now += 150; // each publish takes 150 ms, longer than the 100 ms gaps
    },
  });
  t.same(at, [5_000, 5_150, 5_300, 5_450], "late records go at once, without extra sleeping");
});

t.test("for any speed the wall time of each record is its data offset divided by the speed", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 30 }),
      fc.constantFrom(0.5, 1, 2, 10, 60, 1000),
      async (gaps, speed) => {
        const records: ReplayRecord[] = [];
        let ts = T0;
        for (const g of gaps) {
          ts += g;
          records.push(trade(ts));
        }
        const { at } = await run(records, speed);
        for (const [tsUs, wall] of at) {
          const expected = 5_000 + (tsUs - records[0]!.tsEvent) / 1000 / speed;
          if (Math.abs(wall - expected) > 1e-6) return false;
        }
        return true;
      },
    ),
  );
  t.pass("the property held for every generated replay");
});

t.test("a record older than the one before is refused, naming both times", async (t) => {
  await t.rejects(
    run([trade(T0 + 10), trade(T0)], 1),
    new ReplayOrderError(`record 2 (RawTrade ABC.SIM) at ${T0} µs comes after one at ${T0 + 10} µs`),
  );
});

t.test("a speed that is not positive is refused", async (t) => {
  await t.rejects(run([trade(T0)], 0), /replay speed must be a positive number or "max", got 0/);
  await t.rejects(run([trade(T0)], Number.NaN), /positive number/);
});

t.test("an aborted replay stops before its next record", async (t) => {
  const ac = new AbortController();
  const seen: number[] = [];
  const summary = await replay([trade(T0), trade(T0 + 1), trade(T0 + 2)], {
    speed: "max",
    clock: new FakeClock(),
    signal: ac.signal,
    publish: (r) => {
      seen.push(r.tsEvent);
      if (seen.length === 2) ac.abort();
    },
  });
  t.equal(summary.published, 2);
});

t.test("sources merge into one time order, ties in source order", async (t) => {
  const a = [trade(T0, "a1"), trade(T0 + 20, "a2"), trade(T0 + 30, "a3")];
  const b = [trade(T0 + 10, "b1"), trade(T0 + 20, "b2")];
  async function* slow(xs: ReplayRecord[]) {
    for (const x of xs) yield x;
  }
  const out: string[] = [];
  for await (const r of mergeByTime([slow(a), b, []])) out.push(r.type === "RawTrade" ? r.tradeId : "");
  t.same(out, ["a1", "b1", "a2", "b2", "a3"]);
});
