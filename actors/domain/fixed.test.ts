import t from "tap";
import {
  addMoney,
  addQuantity,
  asMoney,
  asPrice,
  asQuantity,
  FixedPointError,
  type Money,
  moneyOf,
  notional,
  type Price,
  parsePrice,
  parseQuantity,
  priceOf,
  type Quantity,
  quantityOf,
  roundToIncrement,
  subtractMoney,
  subtractQuantity,
} from "./fixed.ts";
import { Quote } from "./messages/index.ts";

const takesPrice = (p: Price): number => p;
const takesQuantity = (q: Quantity): number => q;
const takesMoney = (m: Money): bigint => m;

t.test("the brands keep prices, quantities and money apart at compile time", async (t) => {
  const p = priceOf(101.25);
  const q = quantityOf(10);
  // @ts-expect-error a quantity is not a price
  takesPrice(q);
  // @ts-expect-error a price is not a quantity
  takesQuantity(p);
  // @ts-expect-error a plain number is not a price
  takesPrice(10_125_000_000);
  // @ts-expect-error a plain number is not a quantity
  takesQuantity(1_000_000_000);
  // @ts-expect-error a plain bigint is not money
  takesMoney(5n);
  // @ts-expect-error the sum of two prices is a plain number, not a price
  takesPrice(p + p);
  t.equal(takesPrice(p), 10_125_000_000, "a branded price is still the number of units at run time");
  t.equal(takesQuantity(q), 1_000_000_000);
  t.equal(takesMoney(moneyOf(2.5)), 250_000_000n);
});

t.test("message schemas infer the branded types with no cast and no run-time cost", async (t) => {
  const quote = Quote.schema.parse({
    instrument: "AAPL.XNAS",
    bid: 10_000_000_000,
    bidSize: 100_000_000,
    ask: 10_001_000_000,
    askSize: 200_000_000,
    seq: 1,
    tsEvent: 1,
    tsInit: 1,
  });
  const bid: Price = quote.bid;
  const size: Quantity = quote.bidSize;
  // @ts-expect-error a quote's size is a quantity, not a price
  takesPrice(quote.bidSize);
  t.equal(bid, 10_000_000_000);
  t.equal(size, 100_000_000);
  t.equal(typeof quote.bid, "number", "the brand adds nothing at run time");
});

t.test("constructors brand units as they are", async (t) => {
  t.equal(asPrice(123), 123);
  t.equal(asQuantity(-5), -5, "a signed position is a quantity too");
  t.equal(asMoney(-7n), -7n);
  t.equal(priceOf(0.01), 1_000_000);
  t.equal(quantityOf(2), 200_000_000);
  t.equal(moneyOf(-1.5), -150_000_000n);
});

t.test("parsers return the brand of the field and name it in errors", async (t) => {
  t.equal(parsePrice("101.25"), 10_125_000_000);
  t.equal(parseQuantity("0.5"), 50_000_000);
  t.throws(() => parsePrice("1.2.3"), new FixedPointError('price: "1.2.3" is not a decimal number'));
  t.throws(() => parseQuantity("x", "bidSize"), new FixedPointError('bidSize: "x" is not a decimal number'));
  t.throws(() => parsePrice("0.123456789", "stopPrice"), new FixedPointError("stopPrice: 0.123456789 has more than 8 decimals"));
});

t.test("arithmetic helpers keep the meaning of their operands", async (t) => {
  const filled: Quantity = addQuantity(quantityOf(3), quantityOf(2));
  t.equal(filled, quantityOf(5));
  const leaves: Quantity = subtractQuantity(quantityOf(10), filled);
  t.equal(leaves, quantityOf(5));
  const cash: Money = subtractMoney(addMoney(moneyOf(100), moneyOf(50)), moneyOf(30));
  t.equal(cash, moneyOf(120));
  const value: Money = notional(priceOf(101.25), quantityOf(10));
  t.equal(value, moneyOf(1012.5));
  const tick = priceOf(0.25);
  const onGrid: Price = roundToIncrement(priceOf(101.3), tick, "down");
  t.equal(onGrid, priceOf(101.25));
  const lots: Quantity = roundToIncrement(quantityOf(7), quantityOf(5), "down");
  t.equal(lots, quantityOf(5));
  // @ts-expect-error a price is not rounded to a lot size
  roundToIncrement(priceOf(101.3), quantityOf(1));
});
