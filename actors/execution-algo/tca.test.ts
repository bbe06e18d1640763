import t from "tap";
import { analyse, emptyTape, slippageBps } from "./tca.ts";

t.test("slippage is positive when it cost: a buy above the benchmark, a sell below it", async (t) => {
  t.ok(Math.abs((slippageBps("BUY", 100.1, 100) ?? 0) - 10) < 1e-9);
  t.ok(Math.abs((slippageBps("SELL", 99.9, 100) ?? 0) - 10) < 1e-9);
  t.ok(Math.abs((slippageBps("SELL", 100.1, 100) ?? 0) + 10) < 1e-9, "a sell above the benchmark gained");
  t.equal(slippageBps("BUY", 100, 0), null, "no benchmark");
});

t.test("the analysis compares the average fill with arrival, interval VWAP and close", async (t) => {
  const tape = {
    ...emptyTape(100),
    lastMid: 102,
    marketNotional: 101 * 10 + 103 * 10,
    marketVolume: 20,
    fillNotional: 101 * 5 + 102 * 5,
    fillQuantity: 10,
  };
  const a = analyse("BUY", tape);
  t.equal(a.avgPx, 101.5);
  t.equal(a.intervalVwap, 102);
  t.ok(Math.abs((a.arrivalBps ?? 0) - 150) < 1e-9);
  t.ok(Math.abs((a.intervalVwapBps ?? 0) + (0.5 / 102) * 10_000) < 1e-9);
  t.ok(Math.abs((a.closeBps ?? 0) + (0.5 / 102) * 10_000) < 1e-9);
  t.same(analyse("SELL", emptyTape(0)).arrivalBps, null, "nothing filled: no slippage");
});
