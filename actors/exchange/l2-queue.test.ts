import t from "tap";
import { priceOf, quantityOf, Side } from "../domain/index.ts";
import { type L2Event, L2QueueError, type L2QueueEvent, L2QueueSimulator } from "./l2-queue.ts";

const I = "SIM001.SIMX";
const px = priceOf(100);
const level = (tsUs: number, side: "BID" | "ASK", price: number, size: number): L2Event => ({
  type: "level",
  tsUs,
  instrument: I,
  side,
  price: priceOf(price),
  size: quantityOf(size),
});
const trade = (tsUs: number, price: number, size: number, aggressor?: Side): L2Event => ({
  type: "trade",
  tsUs,
  instrument: I,
  price: priceOf(price),
  size: quantityOf(size),
  ...(aggressor ? { aggressor } : {}),
});
const bid = (id: string, quantity: number, price = 100) => ({
  id,
  instrument: I,
  side: Side.Buy,
  price: priceOf(price),
  quantity: quantityOf(quantity),
});
const fills = (events: L2QueueEvent[]) =>
  events.filter((e) => e.type === "Filled").map((e) => [e.id, e.quantity / 1e8, e.price / 1e8, e.liquidity]);
const ahead = (q: L2QueueSimulator, id: string) => (q.position(id)?.ahead ?? Number.NaN) / 1e8;

t.test("an order behind 300 fills only after 300 traded at its price", async (t) => {
  const q = new L2QueueSimulator();
  q.apply(level(1, "BID", 100, 300));
  t.same(q.place(bid("a", 50), 2), [{ type: "Queued", tsUs: 2, id: "a", ahead: quantityOf(300) }]);
  t.same(fills(q.apply(trade(3, 100, 200, Side.Sell))), [], "200 of the 300 ahead traded");
  t.equal(ahead(q, "a"), 100);
  t.same(fills(q.apply(trade(4, 100, 100, Side.Sell))), [], "all 300 ahead traded: at the front, not filled");
  t.equal(ahead(q, "a"), 0);
  t.same(fills(q.apply(trade(5, 100, 30, Side.Sell))), [["a", 30, 100, "MAKER"]], "the next print at its price fills it");
  t.same(fills(q.apply(trade(6, 100, 40, Side.Sell))), [["a", 20, 100, "MAKER"]], "only what is left of it");
  t.equal(q.position("a"), undefined, "done");
});

t.test("a print that goes past the size ahead fills the rest of the print", async (t) => {
  const q = new L2QueueSimulator();
  q.apply(level(1, "BID", 100, 300));
  q.place(bid("a", 50), 2);
  t.same(fills(q.apply(trade(3, 100, 320))), [["a", 20, 100, "MAKER"]], "300 ahead, then 20 of ours");
});

t.test("cancels ahead move the order up pro rata; sizes that grow join behind", async (t) => {
  const q = new L2QueueSimulator();
  q.apply(level(1, "BID", 100, 300));
  q.place(bid("a", 50), 2);
  t.same(q.apply(level(3, "BID", 100, 500)), [], "200 joined behind: nothing moves");
  t.equal(ahead(q, "a"), 300);
  const moved = q.apply(level(4, "BID", 100, 250));
  t.same(
    moved,
    [{ type: "QueueAdvanced", tsUs: 4, id: "a", ahead: quantityOf(150), by: "cancel" }],
    "half the queue cancelled: half of what is ahead",
  );
  q.apply(level(5, "BID", 100, 1));
  t.equal(ahead(q, "a"), 0.6, "249 of 250 cancelled: 150 × 1/250 stays ahead");
  q.apply(level(6, "BID", 100, 0.00000003));
  t.equal(Math.round(ahead(q, "a") * 1e8), 2, "0.6 × 3e-8 / 1 = 1.8e-8 rounds up to the next 1e-8 unit: never faster than the data");
});

t.test("a drop the prints explain is not a cancel; the rest of the drop is", async (t) => {
  const q = new L2QueueSimulator();
  q.apply(level(1, "BID", 100, 400));
  q.place(bid("a", 10), 2);
  q.apply(trade(3, 100, 100, Side.Sell));
  t.equal(ahead(q, "a"), 300);
  t.same(q.apply(level(3, "BID", 100, 300)), [], "the 100 drop was the print");
  q.apply(trade(4, 100, 100, Side.Sell));
  // queue after the print 200, level shows 100: 100 cancelled of 200, so 200 ahead → 100
  q.apply(level(4, "BID", 100, 100));
  t.equal(ahead(q, "a"), 100);
});

t.test("our earlier order at the price is ahead of a later one", async (t) => {
  const q = new L2QueueSimulator();
  q.apply(level(1, "BID", 100, 100));
  q.place(bid("a", 30), 2);
  q.place(bid("b", 30), 3);
  t.same(fills(q.apply(trade(4, 100, 150, Side.Sell))), [
    ["a", 30, 100, "MAKER"],
    ["b", 20, 100, "MAKER"],
  ]);
});

t.test("a print taken by buyers does not consume our bid's queue; a print through our price sweeps it", async (t) => {
  const q = new L2QueueSimulator();
  q.apply(level(1, "BID", 100, 300));
  q.place(bid("a", 50), 2);
  t.same(q.apply(trade(3, 100, 500, Side.Buy)), [], "a buy print at the bid's price is on the ask side");
  t.equal(ahead(q, "a"), 300);
  t.same(fills(q.apply(trade(4, 99.99, 10, Side.Sell))), [["a", 50, 100, "MAKER"]], "a sell below our bid: the level was swept");
});

t.test("an order that crosses the recorded asks takes them, best first, and rests the rest", async (t) => {
  const q = new L2QueueSimulator();
  q.apply(level(1, "ASK", 100.01, 20));
  q.apply(level(1, "ASK", 100.02, 30));
  q.apply(level(1, "BID", 100.02, 5));
  const out = q.place(bid("a", 100, 100.02), 2);
  t.same(fills(out), [
    ["a", 20, 100.01, "TAKER"],
    ["a", 30, 100.02, "TAKER"],
  ]);
  t.same(out.at(-1), { type: "Queued", tsUs: 2, id: "a", ahead: quantityOf(5) }, "the rest queues behind the bid shown at its price");
  t.equal(q.position("a")?.leaves, quantityOf(50));
});

t.test("cancelling takes the order out of the queue", async (t) => {
  const q = new L2QueueSimulator();
  q.apply(level(1, "BID", 100, 10));
  q.place(bid("a", 5), 2);
  t.same(q.cancel("a", 3), [{ type: "Cancelled", tsUs: 3, id: "a", leaves: quantityOf(5) }]);
  t.same(q.apply(trade(4, 100, 100, Side.Sell)), []);
  t.throws(() => q.cancel("a", 5), /cancel of a: no such resting order/);
});

t.test("bad input is refused with its reason and changes nothing", async (t) => {
  const q = new L2QueueSimulator();
  q.apply(level(10, "BID", 100, 300));
  t.throws(
    () => q.apply(level(5, "BID", 100, 200)),
    new L2QueueError("level of SIM001.SIMX at 5 µs comes after 10 µs: events must be in time order"),
  );
  t.equal(q.recordedSize(I, "BID", px), quantityOf(300), "the out-of-order level was not applied");
  t.throws(() => q.place({ ...bid("a", 1), quantity: quantityOf(0) }, 20), /order a: quantity 0 must be a positive/);
  t.doesNotThrow(() => q.place(bid("a", 1), 11), "the refused order did not move the clock");
  t.throws(() => q.place(bid("a", 1), 12), /order a: the id is already resting/);
});

t.test("the same events give the same journal", async (t) => {
  const run = () => {
    const q = new L2QueueSimulator();
    const out: L2QueueEvent[] = [];
    out.push(...q.apply(level(1, "BID", 100, 300)));
    out.push(...q.place(bid("a", 50), 2));
    for (let i = 0; i < 20; i++) {
      out.push(...q.apply(trade(3 + i, 100, 17 + i, Side.Sell)));
      out.push(...q.apply(level(3 + i, "BID", 100, Math.max(1, 300 - 20 * i))));
    }
    return JSON.stringify(out);
  };
  t.equal(run(), run());
});

t.test("a print without an aggressor consumes the side recorded at its price", async (t) => {
  const q = new L2QueueSimulator();
  q.apply(level(1, "BID", 100, 300));
  q.place(bid("a", 50), 2);
  q.apply(trade(3, 100, 100));
  t.equal(ahead(q, "a"), 200, "only bids are recorded at 100: the print took them");
  q.apply(level(4, "ASK", 100, 40));
  t.same(fills(q.apply(trade(5, 100, 40))), [], "bids and asks both at 100 (locked): both queues are consumed, ours still 160 behind");
  t.equal(ahead(q, "a"), 160);
});
