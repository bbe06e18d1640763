import t from "tap";
import { parseInstrumentId, MdChannel, Reply, subjects } from "../contract/index.ts";
import { decodeAs, decodeMessage, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { regimeKind, type RegimeEstimated } from "../regime/index.ts";
import { regimeBars } from "../regime/testing.ts";
import { DenyReason } from "./deny-reason.ts";
import { riskBookKind } from "./kind.ts";
import { AAPL, approved, BookHarness, denialCode, money, px, qty, testConfig } from "./testing.ts";
import { startTestTree } from "../../supervisors/runtime/testing/tree.ts";

const regimeScale = { threshold: 0.5, factor: 0.25, holdBars: 10 };
const estimate = (changeProbability: number, runLength: number, tsEvent = 1) => ({
  type: "RegimeEstimated",
  instrument: AAPL,
  changeProbability,
  runLength,
  observations: 100,
  window: 5,
  tsEvent,
});

t.test("a regime change scales maxPosition and maxOrderNotional until the run length passes holdBars", async (t) => {
  const h = new BookHarness();
  t.ok(approved(h.limits({ maxPosition: qty(100), maxOrderNotional: money("20000"), regimeScale })));
  t.ok(approved(h.check({ side: "BUY", quantity: qty(40), price: px(100) })), "40 fit maxPosition 100 in a calm regime");
  h.send(estimate(0.9, 2));
  const r = h.check({ side: "BUY", quantity: qty(40), price: px(100) });
  t.equal(denialCode(r), DenyReason.RegimeLimit, "with 40 pending, 40 more are over 100 × 0.25 = 25");
  t.match(r, { ok: false, error: { message: /maxPosition 100 × regimeScale.factor 0.25 = 25 .*changeProbability 0.900, run length 2/ } });
  t.equal(h.journal.at(-1)?.type, "OrderDenied", "the denial is journaled");

  const fresh = new BookHarness();
  t.ok(approved(fresh.limits({ maxPosition: qty(1000), maxOrderNotional: money("20000"), regimeScale })));
  fresh.send(estimate(0.8, 1));
  t.equal(
    denialCode(fresh.check({ side: "BUY", quantity: qty(60), price: px(100) })),
    DenyReason.RegimeLimit,
    "notional 6000 fits 20000 but not 20000 × 0.25 = 5000",
  );
  fresh.send(estimate(0.1, 5));
  t.equal(
    denialCode(fresh.check({ side: "BUY", quantity: qty(60), price: px(100) })),
    DenyReason.RegimeLimit,
    "the probability fell, but the run (5 bars) is not past holdBars 10: still scaled",
  );
  fresh.send(estimate(0.1, 11));
  t.ok(approved(fresh.check({ side: "BUY", quantity: qty(60), price: px(100) })), "a run past holdBars lifts the scale");
  t.equal(
    denialCode(fresh.check({ side: "BUY", quantity: qty(250), price: px(100) })),
    DenyReason.MaxOrderNotional,
    "the normal limit still holds, with its own reason (25 000 > 20 000)",
  );
});

t.test("without regimeScale an estimate changes nothing, and bad settings are refused naming the field", async (t) => {
  const h = new BookHarness();
  t.ok(approved(h.limits({ maxPosition: qty(100) })));
  h.send(estimate(0.99, 0));
  t.ok(approved(h.check({ side: "BUY", quantity: qty(100), price: px(100) })), "the full limit applies");
  t.ok(approved(h.limits({ maxPosition: qty(200), regimeScale })));
  h.send({ ...estimate(1, 3), observations: 4 });
  t.ok(approved(h.check({ side: "BUY", quantity: qty(100), price: px(100) })), "a detector within its first window of bars is not heard");
  const bad = h.limits({ maxPosition: qty(100), regimeScale: { threshold: 1.5, factor: 0.5, holdBars: 3 } });
  t.match(bad, { ok: false, error: { message: /regimeScale\.threshold/ } });
  t.same(h.book.limits.regimeScale, regimeScale, "the refused limits changed nothing");
});

t.test("over NATS, a book hears the regime actor's estimates and denies what only the scaled limit forbids", async (t) => {
  const f = await startTestServers(t);
  const books = new Map([["north", testConfig({ book: "north", limits: { maxPosition: qty(100), regimeScale } })]]);
  const tree = await startTestTree(t, f, [riskBookKind({ books, marked: [AAPL] }), regimeKind({ warmupBars: 20 })]);
  await tree.spawn("risk-book", "north");
  await tree.spawn("regime", AAPL);

  let last: RegimeEstimated | undefined;
  const sub = f.nc.subscribe(subjects.evt("regime", AAPL, "RegimeEstimated"), {
    callback: (_e, m) => {
      last = decodeMessage(m.data, m.headers, true).message as unknown as RegimeEstimated;
    },
  });
  t.teardown(() => sub.unsubscribe());
  await f.nc.flush();
  const ask = async (message: Message) => {
    const { data, headers } = encodeMessage(message);
    const r = await f.nc.request(subjects.cmd("risk-book", "north"), data, { headers, timeout: 5_000 });
    return decodeAs(Reply, r.data, r.headers);
  };
  let n = 0;
  const check = (quantity: number) => {
    const now = Date.now() * 1000;
    return ask({
      type: "CheckOrder",
      clientOrderId: `o${++n}`,
      instrument: AAPL,
      side: "BUY",
      orderType: "LIMIT",
      quantity: qty(quantity),
      price: px(100),
      strategy: "s1",
      tsEvent: now,
      tsInit: now,
    });
  };
  const { bars, changes } = regimeBars(AAPL, 6, [
    [150, 0, 0.0005],
    [10, 0.004, 0.0005],
  ]);
  const publishBars = async (from: number, to: number) => {
    for (const b of bars.slice(from, to)) {
      const { data, headers } = encodeMessage({ type: "Bar", ...b });
      f.nc.publish(subjects.md(MdChannel.Bar, parseInstrumentId(AAPL)), data, { headers });
    }
    await eventually("the regime actor estimated the last bar", () => last?.tsEvent === bars[to - 1]!.tsEvent, { timeoutMs: 20_000 });
  };
  await publishBars(0, changes[0]!);
  t.ok(last!.changeProbability <= regimeScale.threshold, `calm before the change: ${last!.changeProbability.toFixed(3)}`);
  t.ok((await check(30)).ok, "30 fit maxPosition 100 in a calm regime");

  // bar by bar after the change until the regime actor signals it (within its window of 5 bars)
  let k = changes[0]!;
  while (k < bars.length && last!.changeProbability <= regimeScale.threshold) await publishBars(k, ++k);
  t.ok(
    last!.changeProbability > regimeScale.threshold,
    `the change is signalled ${k - changes[0]!} bars after it: ${last!.changeProbability.toFixed(3)}`,
  );
  // the book hears the estimate on its own subscription: it denies once it has taken it
  await eventually("the book scales its limits", async () => !(await check(1)).ok);
  t.match(await check(1), { ok: false, error: { code: DenyReason.RegimeLimit, message: /× regimeScale.factor 0.25 = 25/ } });
});
