import t from "tap";
import { instrumentCatalogue } from "../../../actors/instrument/index.ts";
import { deployedStrategyOf, parseStrategyDeployment, strategyDeployable } from "./strategy-deployments.ts";

const catalogue = instrumentCatalogue(3);
const deployable = strategyDeployable(catalogue);

t.test("the same deployment written differently has one canonical text", async (t) => {
  const a = deployable.prepare("s1", {
    strategy: "trend-follower",
    book: "demo",
    instruments: [{ id: "SIM001.SIMX", tickSize: "0.010", lotSize: 1 }],
    parameters: { fastPeriod: 3, slowPeriod: 6 },
  });
  const b = deployable.prepare("s1", {
    parameters: { slowPeriod: 6, fastPeriod: 3 },
    instruments: [{ lotSize: "1", tickSize: 0.01, id: "SIM001.SIMX" }],
    book: "demo",
    strategy: "trend-follower",
    autoStart: true,
  });
  t.equal(a, b);
  t.equal(deployable.key("s1"), "strategies.s1");
  t.equal(deployable.key("a:b"), "strategies.a=3Ab", "ids are escaped like every other KV key");
});

t.test("channels default to what the sample listens to", async (t) => {
  const base = { book: "demo", instruments: [{ id: "SIM001.SIMX" }] };
  const lookup = (i: string) => (catalogue.has(i) ? { tickSize: 1_000_000, lotSize: 100_000_000 } : undefined);
  t.same(parseStrategyDeployment("a", { ...base, strategy: "trend-follower" }, lookup).channels, ["bar"]);
  t.same(
    parseStrategyDeployment("a", { ...base, strategy: "mean-reversion" }, lookup).channels,
    ["bar"],
    "mean reversion on bar closes by default",
  );
  t.same(parseStrategyDeployment("a", { ...base, strategy: "mean-reversion", parameters: { source: "mid" } }, lookup).channels, ["quote"]);
  t.same(parseStrategyDeployment("a", { ...base, strategy: "market-maker" }, lookup).channels, ["quote"]);
});

t.test("a stored deployment becomes the strategy actor's definition and config", async (t) => {
  const d = parseStrategyDeployment("mm-9", {
    strategy: "market-maker",
    book: "demo",
    instruments: [{ id: "X.SIMX", tickSize: "0.5", lotSize: "10" }],
    autoStart: false,
    timerIntervalMs: 500,
  });
  const s = deployedStrategyOf("mm-9", JSON.parse(JSON.stringify(d)));
  t.equal(s.definition.name, "market-maker");
  t.equal(s.autoStart, false);
  t.match(s.config, {
    strategyId: "mm-9",
    book: "demo",
    instruments: [{ id: "X.SIMX", tickSize: 50_000_000, lotSize: 1_000_000_000 }],
    channels: ["quote"],
    timerIntervalMs: 500,
  });
});

t.test("a demo strategy's id cannot be deployed", async (t) => {
  t.throws(() => deployable.prepare("mm-1", { strategy: "market-maker", book: "demo", instruments: [{ id: "SIM001.SIMX" }] }), {
    code: "already-exists",
  });
});

t.test("a model sample deploys with the channels and model signals its parameters need", async (t) => {
  const base = { book: "demo", instruments: [{ id: "SIM001.SIMX" }] };
  const lookup = (i: string) => (catalogue.has(i) ? { tickSize: 1_000_000, lotSize: 100_000_000 } : undefined);
  t.match(parseStrategyDeployment("f", { ...base, strategy: "model-forecast" }, lookup), { channels: ["bar"], signals: ["gbt-return-5f"] });
  const blend = parseStrategyDeployment(
    "b",
    { ...base, strategy: "signal-blend", parameters: { signals: ["model:a", "factor:ret1", "model:b"] } },
    lookup,
  );
  t.match(blend, { channels: ["bar", "features"], signals: ["a", "b"] });
  t.match(deployedStrategyOf("b", blend).config, { channels: ["bar", "features"], signals: ["a", "b"] });
  t.throws(
    () => parseStrategyDeployment("b", { ...base, strategy: "signal-blend", parameters: { signals: ["factor:rsi"] } }, lookup),
    /config\.parameters\.signals\.0/,
  );
});

t.test("a deployment may hear regimes when its strategy reacts to them, and says so when it does not", async (t) => {
  const base = { book: "demo", instruments: [{ id: "SIM001.SIMX", tickSize: "0.01", lotSize: "1" }] };
  const d = parseStrategyDeployment("tf-r", { ...base, strategy: "trend-follower", regimes: true, barType: "1m" });
  t.equal(d.regimes, true);
  const s = deployedStrategyOf("tf-r", JSON.parse(JSON.stringify(d)));
  t.equal(s.config.regimes, true, "the strategy actor's config hears RegimeEstimated");
  t.equal(deployedStrategyOf("tf", parseStrategyDeployment("tf", { ...base, strategy: "trend-follower" })).config.regimes, undefined);
  t.throws(() => parseStrategyDeployment("mm", { ...base, strategy: "market-maker", regimes: true }), {
    message: /config\.regimes: strategy market-maker does not react to regime estimates/,
  });
  t.throws(() => parseStrategyDeployment("tf", { ...base, strategy: "trend-follower", regimes: "yes" }), { message: /config\.regimes/ });
});
