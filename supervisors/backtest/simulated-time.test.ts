import t from "tap";
import { subjects } from "../../actors/contract/index.ts";
import { asPrice, asQuantity } from "../../actors/domain/index.ts";
import { Backtest } from "./runner.ts";
import { barsRun, TEST_START_US } from "./testing.ts";

const MINUTE = 60_000_000;

const bar = (instrument: string, at: number) => ({
  type: "Bar" as const,
  instrument,
  barType: "1m",
  tsOpen: at - MINUTE,
  open: asPrice(100_00000000),
  high: asPrice(100_00000000),
  low: asPrice(100_00000000),
  close: asPrice(100_00000000),
  volume: asQuantity(1_00000000),
  vwap: asPrice(100_00000000),
  trades: 1,
  tsEvent: at,
  tsInit: at,
});

t.test("a GTD order rests at the simulated exchange until its expiry on the simulated clock, then expires", async (t) => {
  const { config } = await barsRun(t, { minutes: 30 });
  const bt = new Backtest(config);
  const instrument = config.instruments[0]!.id;
  const at = TEST_START_US + MINUTE;
  bt.advanceTo(at);
  bt.feed(bar(instrument, at));
  bt.drain();
  const expireAtUs = at + 5 * MINUTE;
  bt.publish(subjects.cmd("risk-book", config.book.id), {
    type: "SubmitOrder",
    clientOrderId: "gtd-1",
    instrument,
    side: "BUY",
    orderType: "LIMIT",
    quantity: asQuantity(1_00000000),
    price: asPrice(90_00000000),
    timeInForce: "GTD",
    expireAtUs,
    postOnly: false,
    reduceOnly: false,
    strategy: "manual",
    book: config.book.id,
    tsEvent: at,
    tsInit: at,
  });
  bt.drain();
  const status = () => (bt.actor("order/gtd-1")?.context as { order: { status: string } | null } | undefined)?.order?.status;
  t.equal(status(), "PENDING_NEW", "sent; the venue's answer is a simulated latency away");
  bt.advanceTo(at + 1_000_000);
  t.equal(status(), "NEW", "resting at the exchange");
  bt.advanceTo(expireAtUs - 1);
  t.equal(status(), "NEW", "still resting a microsecond before its expiry");
  // the simulated exchange expires GTD orders as it processes its next input (live: the next quote)
  bt.advanceTo(expireAtUs + MINUTE);
  bt.feed(bar(instrument, expireAtUs + MINUTE));
  bt.drain();
  bt.advanceTo(expireAtUs + MINUTE + 1_000_000);
  t.equal(status(), "EXPIRED", "expired once simulated time passed its expiry");
  t.equal(bt.clock.nowUs(), expireAtUs + MINUTE + 1_000_000, "without any wall-clock wait");
});
