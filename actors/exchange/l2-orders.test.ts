import t from "tap";
import {
  CancelCause,
  ExecType,
  type ExecutionReport,
  priceOf,
  quantityOf,
  type RecordedBookEvent,
  Side,
  type VenueNewOrder,
  type VenueReplaceOrder,
} from "../domain/index.ts";
import { L2QueueOrders } from "./l2-orders.ts";

const ID = "SIM001.SIMX";
const GRID = { tickSize: priceOf(0.01), lotSize: quantityOf(1) };

const order = (over: Partial<VenueNewOrder> = {}): VenueNewOrder =>
  ({
    clientOrderId: "o1",
    version: 1,
    instrument: ID,
    side: "BUY",
    orderType: "LIMIT",
    quantity: quantityOf(100),
    price: priceOf(100),
    timeInForce: "GTC",
    postOnly: false,
    reduceOnly: false,
    tsEvent: 1,
    tsInit: 1,
    ...over,
  }) as VenueNewOrder;

const replace = (version: number, quantity: number, price: number): VenueReplaceOrder => ({
  clientOrderId: "o1",
  version,
  instrument: ID,
  side: Side.Buy,
  quantity: quantityOf(quantity),
  price: priceOf(price),
  tsEvent: 1,
  tsInit: 1,
});

const book = (event: "level" | "trade", side: RecordedBookEvent["side"], price: number, size: number): RecordedBookEvent => ({
  instrument: ID,
  event,
  side,
  price: priceOf(price),
  size: quantityOf(size),
  tsEvent: 1,
  tsInit: 1,
});

const fills = (rs: readonly ExecutionReport[]) =>
  rs.filter((r) => r.execType === ExecType.Fill || r.execType === ExecType.PartialFill).map((r) => [r.lastQty / 1e8, r.lastPx / 1e8]);

const orders = () => new L2QueueOrders({ execIdPrefix: "s", makerFeeCbps: 0, takerFeeCbps: 100, slippage: { model: "none" } });

t.test("the L2 queue takes resting limit orders on the grids only", async (t) => {
  t.ok(L2QueueOrders.takes(order(), GRID));
  t.ok(L2QueueOrders.takes(order({ timeInForce: "DAY" }), GRID));
  t.notOk(L2QueueOrders.takes(order({ timeInForce: "IOC" }), GRID), "an IOC does not rest");
  t.notOk(L2QueueOrders.takes(order({ orderType: "MARKET", price: undefined }), GRID), "a market order has no queue");
  t.notOk(L2QueueOrders.takes(order({ postOnly: true }), GRID), "post-only stays with the engine");
  t.notOk(L2QueueOrders.takes(order({ price: priceOf(100.005) }), GRID), "off the tick: the engine refuses it");
  t.notOk(L2QueueOrders.takes(order({ quantity: quantityOf(0.5) }), GRID), "off the lot: the engine refuses it");
});

t.test("an order crossing the recorded ask takes the shown size as a taker, pays the taker fee, and rests the rest", async (t) => {
  const q = orders();
  q.apply(book("level", "ASK", 100, 30), 10);
  const rs = q.place(order(), GRID, 20);
  t.same(
    rs.map((r) => r.execType),
    [ExecType.New, ExecType.PartialFill],
  );
  t.same(fills(rs), [[30, 100]]);
  // 30 × 100.00 × 1 bp = 0.30
  t.equal(rs[1]!.fee, 0.3e8);
  t.same(q.open(), [
    {
      clientOrderId: "o1",
      venueOrderId: "L2-1",
      instrument: ID,
      side: "BUY",
      quantity: quantityOf(100),
      cumQty: quantityOf(30),
      leavesQty: quantityOf(70),
      price: priceOf(100),
    },
  ]);
});

t.test("a replace joins the back of the queue; a cancel ends the order", async (t) => {
  const q = orders();
  q.apply(book("level", "BID", 100, 50), 10);
  q.place(order(), GRID, 20);
  // 40 more join behind us; our replace puts us behind them too
  q.apply(book("level", "BID", 100, 90), 30);
  const replaced = q.replace(replace(2, 20, 100), 40);
  t.same(
    replaced.map((r) => [r.execType, r.quantity]),
    [[ExecType.Replaced, quantityOf(20)]],
  );
  t.same(fills(q.apply(book("trade", "SELL", 100, 90), 50)), [], "the 90 ahead trade first");
  t.same(fills(q.apply(book("trade", "SELL", 100, 5), 60)), [[5, 100]], "then ours, as a maker at our price");
  const off = q.replace(replace(3, 20, 99.995), 70);
  t.match(off, [{ execType: ExecType.CancelRejected, text: /not a multiple of the tick/ }]);
  t.same(
    q
      .cancel({ clientOrderId: "o1", instrument: ID, side: Side.Buy, cause: CancelCause.User, tsEvent: 1, tsInit: 1 }, 80)
      .map((r) => [r.execType, r.cumQty, r.leavesQty]),
    [[ExecType.Canceled, quantityOf(5), 0]],
  );
  t.notOk(q.has("o1"));
});
