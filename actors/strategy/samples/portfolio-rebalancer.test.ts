import t from "tap";
import { toNumber } from "../../domain/index.ts";
import { portfolioRebalancer, portfolioRebalancerParameters, targetWeights } from "./portfolio-rebalancer.ts";
import { drive } from "./testing.ts";

const CALM = "CALM.XNAS";
const WILD = "WILD.XNAS";

/** Seeded ±1 signs (a 32-bit LCG): two seeds give two independent coin-flip series. */
function signs(seed: number, n: number): number[] {
  let x = seed >>> 0;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x & 0x10000 ? 1 : -1;
  });
}

/** Closes of two instruments, one with 0.5 % moves and one with 1 % moves, independent. */
function market(bars: number): { calm: number[]; wild: number[] } {
  const a = signs(7, bars);
  const b = signs(99, bars);
  const calm = [100];
  const wild = [50];
  for (let i = 1; i < bars; i++) {
    calm.push(calm[i - 1]! * (1 + 0.005 * a[i]!));
    wild.push(wild[i - 1]! * (1 + 0.01 * b[i]!));
  }
  return { calm, wild };
}

function run(parameters: Record<string, unknown>, bars: number) {
  const d = drive(portfolioRebalancer, parameters, ["bar"], 1, [], [CALM, WILD]);
  const m = market(bars);
  for (let i = 0; i < bars; i++) {
    d.bar(m.calm[i]!, 0.1, 60_000_000, CALM);
    d.bar(m.wild[i]!, 0.1, 0, WILD);
    d.settle();
    // the venue fills each market order at its instrument's close
    for (const o of [...d.ledger().allOpenOrders()]) d.fill(o.clientOrderId, o.instrument === CALM ? m.calm[i] : m.wild[i]);
  }
  const value = (id: string, close: number) => toNumber(d.position(id)) * close;
  return { d, calm: value(CALM, m.calm[bars - 1]!), wild: value(WILD, m.wild[bars - 1]!) };
}

t.test("risk parity holds the calm instrument at about twice the weight of one twice as volatile", async (t) => {
  const { d, calm, wild } = run({ method: "risk-parity", lookbackBars: 200, rebalanceEveryBars: 50, capital: 100_000 }, 202);
  t.equal(d.state(), "running");
  t.ok(calm > 0 && wild > 0, `long both: ${calm}, ${wild}`);
  t.ok(calm / wild > 1.7 && calm / wild < 2.3, `value ratio ${calm / wild} (1/σ weights: 2)`);
  t.ok(calm + wild <= 100_000 && calm + wild > 99_000, `fully invested, never beyond the capital: ${calm + wild}`);
});

t.test("minimum variance under a 60 % box keeps each weight at or below 60 %", async (t) => {
  const { calm, wild } = run({ method: "min-variance", lookbackBars: 200, rebalanceEveryBars: 50, capital: 100_000, maxWeight: 0.6 }, 202);
  // unconstrained minimum variance would hold the calm one at 80 % (σ² 1 against 4)
  t.ok(calm <= 60_000 && calm > 59_000, `calm at the box: ${calm}`);
  t.ok(wild > 39_000 && wild <= 40_000, `the rest in the volatile one: ${wild}`);
});

t.test("weights that moved less than minTradeWeight are not traded", async (t) => {
  const { d } = run({ method: "risk-parity", lookbackBars: 200, rebalanceEveryBars: 50, capital: 100_000, minTradeWeight: 0.05 }, 301);
  const instruments = d.orders().map((o) => o.instrument);
  t.same(instruments.sort(), [CALM, WILD], "one order each at the first rebalance, none at the next two");
});

t.test("the optimisers agree with the known answers for two independent assets", async (t) => {
  const returns = Array.from({ length: 400 }, (_, i) => [(i % 2 ? 1 : -1) * 0.01, ((i >> 1) % 2 ? 1 : -1) * 0.02]);
  const p = portfolioRebalancerParameters.parse({});
  const rp = targetWeights(returns, [0, 0], p);
  t.ok(Math.abs(rp[0]! - 2 / 3) < 0.02, `risk parity ${rp}`);
  const mv = targetWeights(returns, [0, 0], { ...p, method: "min-variance" });
  t.ok(Math.abs(mv[0]! - 0.8) < 0.03, `minimum variance ${mv}`);
  const turn = targetWeights(returns, [0.5, 0.5], { ...p, method: "min-variance", maxTurnover: 0.2 });
  t.ok(Math.abs(turn[0]! - 0.6) < 1e-6, `a turnover of 0.2 moves 0.5 to 0.6 at most: ${turn}`);
});

t.test("parameters and instruments are checked", async (t) => {
  t.throws(() => portfolioRebalancerParameters.parse({ method: "astrology" }), /method/);
  t.throws(() => portfolioRebalancerParameters.parse({ lookbackBars: 3 }), /lookbackBars|10/);
  t.throws(() => portfolioRebalancer.create(portfolioRebalancerParameters.parse({}), [{ id: CALM } as never]), /at least 2/);
});
