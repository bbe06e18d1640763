import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { demoUniverse } from "../../actors/instrument/index.ts";
import { regimeBars } from "../../actors/regime/testing.ts";
import { parseRunConfig, type RunConfigInput } from "./run-config.ts";
import { Backtest } from "./runner.ts";

const trend = { fastPeriod: 5, slowPeriod: 20, atrPeriod: 10, riskPerTrade: 100, atrMultiple: 2, maxPosition: 1000, regimeFloor: 0.2 };

/** One instrument's one-minute bars with a known change point: a steady uptrend, then volatility without drift. */
function changeRun(t: { teardown(f: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), "backtest-regime-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [d] = demoUniverse(1);
  const { bars, changes } = regimeBars(d!.id, 3, [
    [120, 0.002, 0.001],
    [40, 0.0, 0.006],
  ]);
  const px = (p: number) => (p / 1e8).toFixed(2);
  const rows = bars.map(
    (b) => `${b.tsOpen},${b.tsEvent},${b.instrument},1m,${px(b.open)},${px(b.high)},${px(b.low)},${px(b.close)},1,${px(b.close)},1`,
  );
  const file = join(dir, "bars.csv");
  writeFileSync(file, `ts_open,ts,instrument,bar_type,open,high,low,close,volume,vwap,trades\n${rows.join("\n")}\n`);
  const input: RunConfigInput = {
    start: bars[0]!.tsOpen,
    end: bars.at(-1)!.tsEvent + 60_000_000,
    instruments: [{ id: d!.id, assetClass: "EQUITY", currency: "USD", priceIncrement: "0.01", lotSize: "1" }],
    data: { kind: "csv", files: [file] },
    regime: { barType: "1m", warmupBars: 20 },
    strategies: [
      { id: "plain", sample: "trend-follower", channels: ["bar"], barType: "1m", parameters: trend },
      { id: "heard", sample: "trend-follower", channels: ["bar"], barType: "1m", regimes: true, parameters: trend },
    ],
    venue: { makerFeeBps: 0, takerFeeBps: 1, latencyUs: 0, jitterUs: 0 },
    report: { sampleEveryMs: 600_000 },
  };
  return { dir, input, config: parseRunConfig(structuredClone(input)), changeUs: bars[changes[0]!]!.tsEvent, barUs: 60_000_000 };
}

/** Each strategy's position after every fill, from the journal's OrderFilled events (client order ids carry it). */
function positions(journal: string): Map<string, { tsUs: number; position: number }[]> {
  const out = new Map<string, { tsUs: number; position: number }[]>();
  const held = new Map<string, number>();
  for (const line of journal.split("\n")) {
    if (!line.includes('"OrderFilled"')) continue;
    const f = JSON.parse(line) as { type: string; clientOrderId: string; side: string; lastQty: number | string; tsEvent: number };
    if (f.type !== "OrderFilled") continue;
    const strategy = f.clientOrderId.split(".")[0]!;
    const position = (held.get(strategy) ?? 0) + (f.side === "BUY" ? 1 : -1) * (Number(f.lastQty) / 1e8);
    held.set(strategy, position);
    out.set(strategy, [...(out.get(strategy) ?? []), { tsUs: f.tsEvent, position }]);
  }
  return out;
}

const at = (series: { tsUs: number; position: number }[] | undefined, tsUs: number): number =>
  series?.filter((p) => p.tsUs <= tsUs).at(-1)?.position ?? 0;

t.test(
  "in a backtest the regime actor runs on simulated time: a change point shrinks the regime-hearing strategy's position, the same every run",
  async (t) => {
    const { dir, config, changeUs, barUs } = changeRun(t);
    const first = new Backtest(config, { journalPath: join(dir, "a.jsonl") });
    const r = await first.run();
    t.equal(r.actors.regime, 1, "one regime actor per instrument");
    t.equal(r.deadLetters, 0);
    const again = await new Backtest(config, { journalPath: join(dir, "b.jsonl") }).run();
    t.equal(again.journal.sha256, r.journal.sha256, "the same journal run after run");

    const p = positions(readFileSync(join(dir, "a.jsonl"), "utf8"));
    const before = { plain: at(p.get("plain"), changeUs - barUs), heard: at(p.get("heard"), changeUs - barUs) };
    t.ok(
      before.plain > 0 && before.heard >= before.plain * 0.9,
      `both long and about as large before the change: ${JSON.stringify(before)}`,
    );
    const after = [1, 2, 3, 4, 5].map((k) => ({
      plain: at(p.get("plain"), changeUs + k * barUs),
      heard: at(p.get("heard"), changeUs + k * barUs),
    }));
    t.ok(
      after.some((x) => x.heard < x.plain * 0.6),
      `within 5 bars of the change the strategy hearing regimes holds well under the other: ${JSON.stringify(after)}`,
    );
  },
);

t.test("a strategy hearing regimes needs the run's regime, named", async (t) => {
  const { input } = changeRun(t);
  const { regime: _r, ...rest } = input;
  t.throws(() => parseRunConfig(rest), /strategies\.1\.regimes/);
});
