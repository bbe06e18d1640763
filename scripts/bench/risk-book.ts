/**
 * `npm run bench -- risk-book [open]`: cost of a mark (MarkPrice through the machine, with alert and high-water-mark
 * evaluation over all positions) and of a pre-trade check, on a book of 20 instruments with open positions; then
 * of an approved SubmitOrder (check, OrderApproved, forward) while the book's open orders grow to `open` (5 000):
 * resting orders stay pending, so this is what a busy book pays per order.
 */
import { createActor } from "xstate";
import { fromNumber, type InstrumentSpec, SCALE, asMoney, priceOf, quantityOf, ZERO_MONEY } from "../../actors/domain/index.ts";
import { defaultBookConfig, riskBookMachine } from "../../actors/risk-book/index.ts";

const n = 20;
const instruments: InstrumentSpec[] = Array.from({ length: n }, (_, k) => ({
  instrument: `S${k}.XNAS`,
  multiplier: SCALE,
  sector: `SEC${k % 4}`,
  assetClass: "EQUITY",
}));
const actor = createActor(riskBookMachine, {
  input: {
    config: defaultBookConfig("bench", {
      instruments,
      initialCash: asMoney(10n ** 16n),
      limits: {
        maxDrawdown: { hard: 10n ** 15n },
        maxDailyLoss: { hard: 10n ** 15n },
        maxGrossExposure: { hard: 10n ** 17n },
        maxPosition: fromNumber(1e6),
      },
    }),
  },
});
let replies = 0;
actor.on("reply", () => replies++);
actor.start();
let now = 1;
for (const [k, s] of instruments.entries()) {
  actor.send({
    type: "OrderFilled",
    fillId: `f${k}`,
    instrument: s.instrument,
    side: k % 2 ? "SELL" : "BUY",
    quantity: quantityOf(100),
    price: priceOf(50),
    fee: ZERO_MONEY,
    tsEvent: now,
    tsInit: now,
    nowUs: now,
  });
}

function time(label: string, count: number, body: (k: number) => void): number {
  const t0 = performance.now();
  for (let k = 0; k < count; k++) body(k);
  const us = ((performance.now() - t0) * 1000) / count;
  process.stderr.write(`${label}: ${us.toFixed(2)} µs per op over ${count}\n`);
  return us;
}

const marks = 200_000;
const markUs = time("MarkPrice", marks, (k) => {
  now += 1;
  const price = priceOf(50 + (k % 100) / 100);
  actor.send({ type: "MarkPrice", instrument: `S${k % n}.XNAS`, last: price, tsEvent: now, tsInit: now, nowUs: now });
});
const checks = 20_000;
const checkUs = time("CheckOrder + cancel", checks, (k) => {
  now += 1;
  const id = `o${k}`;
  actor.send({
    type: "CheckOrder",
    clientOrderId: id,
    instrument: `S${k % n}.XNAS`,
    side: "BUY",
    orderType: "LIMIT",
    quantity: quantityOf(1),
    price: priceOf(50.5),
    strategy: "s",
    reduceOnly: false,
    tsEvent: now,
    tsInit: now,
    nowUs: now,
  });
  actor.send({ type: "OrderCanceled", clientOrderId: id, tsEvent: now, tsInit: now, nowUs: now });
});
if (replies < checks) throw new Error(`expected ${checks} replies, got ${replies}`);
const open = Number(process.argv[2] ?? 5_000);
if (!Number.isInteger(open) || open < 1) throw new Error(`risk-book: ${process.argv[2]} is not a positive whole number of open orders`);
let approved = 0;
actor.on("reply", (r) => {
  if ((r as { result?: { approved?: boolean } }).result?.approved) approved++;
});
const submit = (k: number) => {
  now += 1;
  actor.send({
    type: "SubmitOrder",
    clientOrderId: `r${k}`,
    instrument: `S${k % n}.XNAS`,
    side: "BUY",
    orderType: "LIMIT",
    quantity: quantityOf(1),
    price: priceOf(40),
    timeInForce: "GTC",
    postOnly: false,
    reduceOnly: false,
    strategy: "s",
    book: "bench",
    tsEvent: now,
    tsInit: now,
    nowUs: now,
  });
};
const growingUs = time(`SubmitOrder approved, 0 → ${open} open`, open, submit);
const atOpenUs = time(`SubmitOrder approved, ${open} open`, 1_000, (k) => submit(open + k));
if (approved < open + 1_000) throw new Error(`expected ${open + 1_000} approvals, got ${approved}`);
console.log(
  JSON.stringify({
    bench: "risk-book",
    instruments: n,
    markPriceUs: Number(markUs.toFixed(2)),
    checkOrderWithCancelUs: Number(checkUs.toFixed(2)),
    submitApprovedGrowingUs: Number(growingUs.toFixed(2)),
    submitApprovedAtOpenUs: Number(atOpenUs.toFixed(2)),
    open,
    marks,
    checks,
  }),
);
