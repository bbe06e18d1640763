import fc from "fast-check";
import t from "tap";
import { fromNumber, asPrice, asQuantity } from "../../domain/fixed.ts";
import { Liquidity, OrderType, Side, TimeInForce } from "../../domain/trading.ts";
import { CancelReason, MatchEventKind, StpMode } from "./codes.ts";
import { MatchingEngine, type OrderRequest } from "./engine.ts";
import { feeRateCbps } from "./fees.ts";
import type { MatchEvent } from "./journal.ts";

const TICK = fromNumber(0.01);
const LOT = fromNumber(1);
const MID = fromNumber(100);
const MAKER_BPS = -0.25;
const TAKER_BPS = 2.5;
const FEE_DENOMINATOR = 100_000_000n * 10_000n * 100n;

type Op =
  | { k: "limit"; buy: boolean; off: number; lots: number; owner: number; tif: TimeInForce; postOnly: boolean }
  | { k: "market"; buy: boolean; lots: number; owner: number }
  | { k: "stop"; buy: boolean; off: number; lots: number; owner: number; limitOff: number | null }
  | { k: "cancel"; pick: number }
  | { k: "replace"; pick: number; lots: number | null; off: number | null }
  | { k: "expire"; dt: number };

const side = fc.boolean();
const owner = fc.integer({ min: 0, max: 2 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant("limit" as const),
      buy: side,
      off: fc.integer({ min: -6, max: 6 }),
      lots: fc.integer({ min: 1, max: 10 }),
      owner,
      tif: fc.constantFrom(TimeInForce.Gtc, TimeInForce.Day, TimeInForce.Ioc, TimeInForce.Fok, TimeInForce.Gtd),
      postOnly: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("market" as const), buy: side, lots: fc.integer({ min: 1, max: 15 }), owner }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("stop" as const),
      buy: side,
      off: fc.integer({ min: -4, max: 4 }),
      lots: fc.integer({ min: 1, max: 5 }),
      owner,
      limitOff: fc.option(fc.integer({ min: -3, max: 3 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("cancel" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("replace" as const),
      pick: fc.nat(),
      lots: fc.option(fc.integer({ min: 1, max: 12 })),
      off: fc.option(fc.integer({ min: -6, max: 6 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("expire" as const), dt: fc.integer({ min: 1, max: 50 }) }) },
);

const request = (o: Op, nowUs: number): OrderRequest | undefined => {
  const owners = ["a", "b", "c"];
  switch (o.k) {
    case "limit": {
      // buys lean below the mid and sells above, with overlap so some cross
      const price = asPrice(MID + (o.buy ? o.off - 1 : o.off + 1) * TICK);
      return {
        side: o.buy ? Side.Buy : Side.Sell,
        type: OrderType.Limit,
        price,
        quantity: asQuantity(o.lots * LOT),
        timeInForce: o.tif,
        expireAtUs: o.tif === TimeInForce.Gtd ? nowUs + 20 : undefined,
        postOnly: o.postOnly && o.tif !== TimeInForce.Ioc && o.tif !== TimeInForce.Fok,
        owner: owners[o.owner]!,
      };
    }
    case "market":
      return {
        side: o.buy ? Side.Buy : Side.Sell,
        type: OrderType.Market,
        quantity: asQuantity(o.lots * LOT),
        timeInForce: TimeInForce.Ioc,
        owner: owners[o.owner]!,
      };
    case "stop":
      return {
        side: o.buy ? Side.Buy : Side.Sell,
        type: o.limitOff === null ? OrderType.Stop : OrderType.StopLimit,
        stopPrice: asPrice(MID + o.off * TICK),
        price: o.limitOff === null ? undefined : asPrice(MID + (o.off + o.limitOff) * TICK),
        quantity: asQuantity(o.lots * LOT),
        timeInForce: TimeInForce.Gtc,
        owner: owners[o.owner]!,
      };
    default:
      return undefined;
  }
};

/** Queue order of one side, best level first, each level in time priority. */
const queueSnapshot = (e: MatchingEngine, s: Side): number[] =>
  e.l2(1000)[s === Side.Buy ? "bids" : "asks"].flatMap((lv) => e.queueAt(s, lv.price));

interface Run {
  engine: MatchingEngine;
  events: MatchEvent[];
  ids: number[];
  crossedAfter: number[];
  priorityViolations: string[];
}

const runFlow = (ops: Op[], stpMode: StpMode): Run => {
  const e = new MatchingEngine({
    instrument: "ACME.SIM",
    tickSize: asPrice(TICK),
    lotSize: asQuantity(LOT),
    makerFeeBps: MAKER_BPS,
    takerFeeBps: TAKER_BPS,
    stpMode,
  });
  const ids: number[] = [];
  const crossedAfter: number[] = [];
  const priorityViolations: string[] = [];
  let now = 1;
  ops.forEach((o, i) => {
    now += 1;
    const snap = { [Side.Buy]: queueSnapshot(e, Side.Buy), [Side.Sell]: queueSnapshot(e, Side.Sell) };
    const before = e.lastSeq;
    const req = request(o, now);
    if (req) ids.push(e.submit(req, now));
    else if (o.k === "cancel" && ids.length > 0) e.cancel(ids[o.pick % ids.length]!, now);
    else if (o.k === "replace" && ids.length > 0) {
      const id = ids[o.pick % ids.length]!;
      const cur = e.order(id);
      e.replace(
        id,
        {
          quantity: o.lots === null ? undefined : asQuantity(o.lots * LOT),
          price: o.off === null || cur === undefined || cur.price === 0 ? undefined : asPrice(MID + o.off * TICK),
        },
        now,
      );
    } else if (o.k === "expire") {
      now += o.dt;
      e.expire(now);
    }
    const bid = e.bestBid();
    const ask = e.bestAsk();
    if (bid > 0 && ask > 0 && bid >= ask) crossedAfter.push(i);
    // price-time priority: a maker that fills was, among the orders of the snapshot still there, the first in queue
    const evs = e.eventsSince(before);
    const gone = new Set<number>();
    for (const ev of evs) {
      const stpCancel = ev.kind === MatchEventKind.Canceled && ev.reason === CancelReason.SelfTradePrevention;
      if (ev.liquidity === Liquidity.Maker || stpCancel) {
        const queue = snap[ev.side];
        const k = queue.indexOf(ev.orderId);
        if (k >= 0 && ev.liquidity === Liquidity.Maker) {
          const skipped = queue.slice(0, k).filter((id) => !gone.has(id));
          if (skipped.length > 0) priorityViolations.push(`op ${i}: order ${ev.orderId} filled before ${skipped.join(",")}`);
        }
        if (ev.leaves === 0 || stpCancel) gone.add(ev.orderId);
      }
    }
  });
  return { engine: e, events: e.eventsSince(0), ids, crossedAfter, priorityViolations };
};

const flows = fc.tuple(fc.array(op, { minLength: 1, maxLength: 150 }), fc.constantFrom(...Object.values(StpMode)));

t.test("the book is never crossed after matching", async (t) => {
  fc.assert(
    fc.property(flows, ([ops, stp]) => runFlow(ops, stp).crossedAfter.length === 0),
    { numRuns: 200 },
  );
  t.pass();
});

t.test("the earliest order at the best price fills first", async (t) => {
  fc.assert(
    fc.property(flows, ([ops, stp]) => {
      const v = runFlow(ops, stp).priorityViolations;
      if (v.length > 0) throw new Error(v.join("; "));
    }),
    { numRuns: 200 },
  );
  t.pass();
});

t.test("every order's quantity is filled, resting, canceled, expired or rejected, and leaves/cum agree", async (t) => {
  fc.assert(
    fc.property(flows, ([ops, stp]) => {
      const { engine, events } = runFlow(ops, stp);
      const qty = new Map<number, number>();
      const filled = new Map<number, number>();
      const removed = new Map<number, number>();
      const add = (m: Map<number, number>, id: number, q: number) => m.set(id, (m.get(id) ?? 0) + q);
      for (const ev of events) {
        switch (ev.kind) {
          case MatchEventKind.Accepted:
          case MatchEventKind.Replaced:
            qty.set(ev.orderId, ev.quantity);
            break;
          case MatchEventKind.Rejected:
            qty.set(ev.orderId, ev.quantity);
            add(removed, ev.orderId, ev.quantity);
            break;
          case MatchEventKind.Filled:
          case MatchEventKind.PartiallyFilled: {
            add(filled, ev.orderId, ev.quantity);
            const cum = filled.get(ev.orderId)!;
            if (ev.cum !== cum) throw new Error(`order ${ev.orderId}: cum ${ev.cum} after fills summing to ${cum}`);
            if (ev.leaves !== qty.get(ev.orderId)! - cum) throw new Error(`order ${ev.orderId}: leaves ${ev.leaves} ≠ qty − cum`);
            if ((ev.kind === MatchEventKind.Filled) !== (ev.leaves === 0))
              throw new Error(`order ${ev.orderId}: ${ev.kind} with leaves ${ev.leaves}`);
            break;
          }
          case MatchEventKind.Canceled:
          case MatchEventKind.Expired:
            add(removed, ev.orderId, ev.quantity);
            break;
        }
      }
      for (const [id, q] of qty) {
        const resting = engine.order(id)?.leaves ?? 0;
        const total = (filled.get(id) ?? 0) + resting + (removed.get(id) ?? 0);
        if (total !== q) throw new Error(`order ${id}: quantity ${q} but filled+resting+canceled+rejected = ${total}`);
      }
      // the L2 view aggregates exactly the resting orders
      const l2 = engine.l2(1000);
      const levelSum = [...l2.bids, ...l2.asks].reduce((s, lv) => s + lv.quantity, 0);
      const openSum = engine
        .openOrders()
        .filter((o) => !o.pendingStop)
        .reduce((s, o) => s + o.leaves, 0);
      if (levelSum !== openSum) throw new Error(`L2 holds ${levelSum}, open orders ${openSum}`);
    }),
    { numRuns: 200 },
  );
  t.pass();
});

t.test("fills pair up at the maker's price and fees are the exact bigint formula", async (t) => {
  const maker = BigInt(feeRateCbps(MAKER_BPS));
  const taker = BigInt(feeRateCbps(TAKER_BPS));
  fc.assert(
    fc.property(flows, ([ops, stp]) => {
      const { events } = runFlow(ops, stp);
      const fills = events.filter((ev) => ev.liquidity !== undefined);
      let sumFees = 0n;
      let sumExact = 0n;
      for (let i = 0; i < fills.length; i += 2) {
        const tk = fills[i]!;
        const mk = fills[i + 1]!;
        if (tk.liquidity !== Liquidity.Taker || mk.liquidity !== Liquidity.Maker) throw new Error("fills come as taker, maker");
        if (tk.tradeId !== mk.tradeId || tk.quantity !== mk.quantity || tk.price !== mk.price)
          throw new Error(`trade ${tk.tradeId} sides disagree`);
        if (tk.side === mk.side) throw new Error(`trade ${tk.tradeId} has both sides ${tk.side}`);
        for (const [ev, rate] of [
          [tk, taker],
          [mk, maker],
        ] as const) {
          const product = BigInt(ev.price) * BigInt(ev.quantity) * rate;
          // ceiling: fee·D ≥ product > (fee − 1)·D
          if (!(ev.fee! * FEE_DENOMINATOR >= product && (ev.fee! - 1n) * FEE_DENOMINATOR < product)) {
            throw new Error(`trade ${ev.tradeId}: fee ${ev.fee} is not ceil(${product} / ${FEE_DENOMINATOR})`);
          }
          sumFees += ev.fee!;
          sumExact += product >= 0n ? (product + FEE_DENOMINATOR - 1n) / FEE_DENOMINATOR : product / FEE_DENOMINATOR;
        }
      }
      if (sumFees !== sumExact) throw new Error(`fees sum ${sumFees}, formula ${sumExact}`);
    }),
    { numRuns: 200 },
  );
  t.pass();
});

t.test("sequence numbers are gap-free and every maker fill is at the maker's resting price", async (t) => {
  fc.assert(
    fc.property(flows, ([ops, stp]) => {
      const { events } = runFlow(ops, stp);
      const limitOf = new Map<number, number>();
      events.forEach((ev, i) => {
        if (ev.seq !== i + 1) throw new Error(`event ${i} has seq ${ev.seq}`);
        if (ev.kind === MatchEventKind.Accepted || ev.kind === MatchEventKind.Replaced || ev.kind === MatchEventKind.Triggered)
          limitOf.set(ev.orderId, ev.price);
        if (ev.liquidity === Liquidity.Maker && ev.price !== limitOf.get(ev.orderId))
          throw new Error(`maker ${ev.orderId} filled at ${ev.price}`);
      });
    }),
    { numRuns: 200 },
  );
  t.pass();
});
