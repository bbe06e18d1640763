import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { readModelFile } from "../../actors/model/index.ts";
import { parseRunConfig, type RunConfigInput } from "./run-config.ts";
import { Backtest, runBacktest } from "./runner.ts";
import { barsRun } from "./testing.ts";

/** Simulated one-minute bars traded by the two samples that use a model, fed by feature actors and a model actor. */
async function modelRun(t: Parameters<typeof barsRun>[0], minutes = 240) {
  const run: Partial<RunConfigInput> = {
    features: { barType: "1m", models: ["gbt-return-5f"] },
    strategies: [
      {
        id: "mf",
        sample: "model-forecast",
        channels: ["bar"],
        signals: ["gbt-return-5f"],
        barType: "1m",
        parameters: { lookback: 20, entryConfidence: 1, exitConfidence: 0.2, maxPosition: 10 },
      },
      {
        id: "blend",
        sample: "signal-blend",
        channels: ["bar", "features"],
        signals: ["gbt-return-5f"],
        barType: "1m",
        parameters: {
          signals: ["model:gbt-return-5f", "factor:ret1", "factor:ret5"],
          icWindow: 30,
          entry: 0.5,
          exit: 0.1,
          maxPosition: 10,
        },
      },
    ],
  };
  const { dir, config } = await barsRun(t, { minutes, run });
  return { dir, config, minutes };
}

t.test("in a backtest, feature actors feed the model actor and both model strategies trade its forecasts", async (t) => {
  const { dir, config, minutes } = await modelRun(t);
  const bt = new Backtest(config, { journalPath: join(dir, "events.jsonl") });
  const r = await bt.run();
  t.equal(r.deadLetters, 0, "nothing was dead-lettered");
  t.equal(r.actors.features, config.instruments.length, "one feature actor per instrument");
  t.equal(r.actors.model, 1, "one model actor");
  const model = bt.actor("model/gbt-return-5f")!.context as { served: number; failures: number; version: number };
  t.equal(model.failures, 0);
  // the bar closing at the run's end is not read: minutes − 1 bars, factors from the 21st on
  t.equal(model.served, config.instruments.length * (minutes - 21), "one forecast per instrument and bar with factors");
  const submitted = readFileSync(join(dir, "events.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.includes('"OrderSubmitted"'));
  for (const id of ["mf", "blend"]) {
    const n = submitted.filter((l) => l.includes(`"clientOrderId":"${id}.`)).length;
    t.ok(n > 0, `${id} traded (${n} orders)`);
  }
});

t.test("a run with models is deterministic: the same journal, run after run, whatever inference costs", async (t) => {
  const { config } = await modelRun(t, 120);
  const one = await runBacktest(config);
  const two = await runBacktest(config);
  t.ok(one.journal.events > 0);
  t.equal(one.journal.sha256, two.journal.sha256);
  t.equal(one.pnl, two.pnl);
});

t.test("a run config refuses model signals without the run's features, naming the field", async (t) => {
  const { input } = await barsRun(t, { minutes: 30 });
  const bad = {
    ...input,
    strategies: [{ id: "mf", sample: "model-forecast", channels: ["bar", "features"], signals: ["gbt-return-5f"] }],
  };
  t.throws(
    () => parseRunConfig(bad),
    /strategies\.0\.channels: channel features needs the run's features[\s\S]*strategies\.0\.signals\.0: model gbt-return-5f is not in features\.models/,
  );
  const unknown = parseRunConfig({
    ...structuredClone(bad),
    features: { models: ["nope"] },
    strategies: [{ ...bad.strategies[0], signals: ["nope"] }],
  });
  t.throws(() => new Backtest(unknown), /features\.models: nope is not a committed model \(models\/: gbt-return-5f, seq-return-16\)/);
  const other = parseRunConfig({
    ...structuredClone(bad),
    features: { models: ["seq-return-16"] },
    strategies: [{ ...bad.strategies[0], signals: ["seq-return-16"] }],
  });
  t.throws(() => new Backtest(other), /seq-return-16 takes bar-returns-window v1, the feature actors compute bar-factors v1/);
  // a model given from the registry (trained and registered, not committed) is served under its name, and checked alike
  const registered = readModelFile("gbt-return-5f");
  t.doesNotThrow(
    () => new Backtest(unknown, { models: new Map([["nope", { ...registered, card: { ...registered.card, name: "nope" } }]]) }),
  );
  const window = readModelFile("seq-return-16");
  t.throws(
    () => new Backtest(unknown, { models: new Map([["nope", { ...window, card: { ...window.card, name: "nope" } }]]) }),
    /nope takes bar-returns-window v1, the feature actors compute bar-factors v1/,
  );
});
