import t from "tap";
import { quantityOf } from "../../actors/domain/index.ts";
import type { AlgoContext } from "../../actors/execution-algo/index.ts";
import { parseRunConfig, type RunConfigInput } from "./run-config.ts";
import { Backtest, runBacktest } from "./runner.ts";
import { TEST_START_US } from "./testing.ts";

/**
 * Parent orders in a backtest: each execution algorithm and the smart router hosted on the simulated clock, over the
 * seeded simulator's market on three venues that differ in tick, fees and latency.
 */

const MINUTE = 60_000_000;
const listing = (venue: string, priceIncrement: string) => ({
  id: `SIM001.${venue}`,
  assetClass: "EQUITY" as const,
  currency: "USD",
  priceIncrement,
  lotSize: "1",
});
const at = TEST_START_US + MINUTE;
const end = at + 5 * MINUTE;
const run = (algos: RunConfigInput["algos"], seed = 7): RunConfigInput => ({
  start: TEST_START_US,
  end: TEST_START_US + 10 * MINUTE,
  instruments: [listing("SIMX", "0.01"), listing("SIMY", "0.05"), listing("SIMZ", "0.005")],
  data: { kind: "simulator", seed },
  strategies: [],
  algos,
  venues: {
    SIMX: { takerFeeBps: 0.5, latencyUs: 100 },
    SIMY: { takerFeeBps: 0.1, latencyUs: 2_000 },
    SIMZ: { makerFeeBps: -0.2, takerFeeBps: 1.2, latencyUs: 400 },
  },
  report: { sampleEveryMs: MINUTE / 1000 },
});
type Parent = NonNullable<RunConfigInput["algos"]>[number];
const parent = (id: string, params: Parent["params"], over: Partial<Parent> = {}): Parent => ({
  id,
  at,
  instrument: "SIM001.SIMX",
  side: "BUY",
  quantity: "40",
  params,
  ...over,
});
const parents = [
  parent("twap", { algo: "TWAP", endAtUs: end, slices: 10 }),
  parent("vwap", { algo: "VWAP", endAtUs: end, slices: 5, profile: [3, 1, 1, 1, 3] }),
  parent("pov", { algo: "POV", rate: 0.1, checkEveryMs: 1_000 }),
  parent("is", { algo: "IS", endAtUs: end, slices: 10, riskAversion: 1e-6, volatility: 0.05, temporaryImpact: 0.001 }, { side: "SELL" }),
  // a limit far through the market: each displayed slice takes at once
  parent("iceberg", { algo: "ICEBERG", displayQuantity: quantityOf(5), checkEveryMs: 1_000 }, { side: "SELL", limitPrice: "1" }),
  parent("routed", { algo: "SOR", venues: ["SIMX", "SIMY", "SIMZ"], checkEveryMs: 200 }),
];

t.test("each algorithm and the smart router work a parent to completion in a backtest, with real fills and TCA", async (t) => {
  const bt = new Backtest(parseRunConfig(run(parents)));
  const r = await bt.run();
  t.equal(r.deadLetters, 0, "nothing was dead-lettered");
  for (const p of parents) {
    const outcome = r.algos?.find((a) => a.id === p.id);
    t.match(
      outcome,
      { status: "completed", filled: quantityOf(40) },
      `${p.id}: ${outcome?.status}, ${(outcome?.filled ?? 0) / 1e8} of 40 in ${outcome?.children} children`,
    );
    t.ok(outcome?.tca && Number.isFinite(outcome.tca.arrivalBps), `${p.id}: TCA in the report (${JSON.stringify(outcome?.tca)})`);
  }
  t.ok(r.fills >= parents.length, `the exchanges filled the children (${r.fills} fills)`);
  const routed = bt.actor("execution-algo/routed")!.context as AlgoContext;
  const filledAt = Object.entries(routed.venueFills).filter(([, f]) => f.filled > 0);
  t.ok(filledAt.length >= 2, `the routed parent filled on several venues (${JSON.stringify(routed.venueFills)})`);
  const twap = bt.actor("execution-algo/twap")!.context as AlgoContext;
  t.ok(twap.childCount >= 10, `the TWAP sliced the parent (${twap.childCount} children)`);
});

t.test("a run with parents is deterministic: the same inputs and seed give the same journal hash", async (t) => {
  const two = [parents[0]!, parents[5]!];
  const one = await runBacktest(parseRunConfig(run(two)));
  const again = await runBacktest(parseRunConfig(run(two)));
  t.equal(one.journal.sha256, again.journal.sha256, "same hash");
  t.same(one.algos, again.algos, "same parents' figures");
  const other = await runBacktest(parseRunConfig(run(two, 8)));
  t.not(other.journal.sha256, one.journal.sha256, "another seed, another journal");
});

t.test("a parent's configuration is checked against the run", async (t) => {
  const bad = run([
    parent("x", { algo: "SOR", venues: ["SIMX", "SIMQ"] }),
    parent("x", { algo: "TWAP", endAtUs: end, slices: 2 }, { at: TEST_START_US + 20 * MINUTE }),
  ]);
  t.throws(() => parseRunConfig(bad), /algos\.0\.params\.venues\.1: SIM001\.SIMQ is not in instruments/);
  t.throws(() => parseRunConfig(bad), /algos\.1\.id: x is given twice/);
  t.throws(() => parseRunConfig(bad), /algos\.1\.at: must be within the run/);
  t.throws(() => parseRunConfig({ ...run([]), algos: [] }), /strategies: a run needs a strategy or a parent order/);
});
