import t from "tap";
import { startTestServers } from "../../test/testing.ts";
import { readModelFile, sha256Of } from "../../actors/model/index.ts";
import { ModelRefused, ModelRegistry } from "./registry.ts";

const gbt = readModelFile("gbt-return-5f");
const seq = readModelFile("seq-return-16");

t.test("a model is registered with its card, read back, promoted and retired", async (t) => {
  const f = await startTestServers(t);
  const registry = await ModelRegistry.open(f.nc, { nowUs: () => 42 });
  const stored = await registry.register(gbt.card, gbt.bytes, "alice");
  t.match(stored, { name: "gbt-return-5f", version: 1, registeredBy: "alice", registeredAtUs: 42, status: "registered" });
  const v2 = { ...gbt.card, version: 2 };
  await registry.register(v2, gbt.bytes, "bob");
  t.same(
    (await registry.list()).map((m) => [m.name, m.version, m.registeredBy, m.promoted]),
    [
      ["gbt-return-5f", 1, "alice", false],
      ["gbt-return-5f", 2, "bob", false],
    ],
  );
  await t.rejects(registry.get("gbt-return-5f"), /gbt-return-5f has no promoted version/);
  await registry.promote("gbt-return-5f", 1);
  const got = await registry.get("gbt-return-5f");
  t.equal(got.card.version, 1);
  t.ok(Buffer.from(got.bytes).equals(Buffer.from(gbt.bytes)), "the file comes back byte for byte");
  t.match(got.card, {
    featureSet: { name: "bar-factors", features: ["ret1", "ret5", "vol20", "range", "volumeRatio"] },
    validation: { ic: gbt.card.validation.ic },
  });
  await t.rejects(registry.retire("gbt-return-5f", 1), /v1 is promoted; promote another version first/);
  await registry.retire("gbt-return-5f", 2);
  await t.rejects(registry.promote("gbt-return-5f", 2), /v2 is retired/);
  t.equal((await registry.get("gbt-return-5f", 2)).card.status, "retired");
});

t.test("a bad file is refused with the reason and nothing is stored", async (t) => {
  const f = await startTestServers(t);
  const registry = await ModelRegistry.open(f.nc);
  const garbage = new Uint8Array([8, 1, 2, 3, 4]);
  const cases: [string, Parameters<ModelRegistry["register"]>[0], Uint8Array, RegExp][] = [
    ["hash", gbt.card, seq.bytes, /the file's sha256 is [0-9a-f]{64}, the card says/],
    ["not onnx", { ...gbt.card, sha256: sha256Of(garbage), bytes: garbage.length }, garbage, /the file does not load/],
    [
      "signature",
      { ...gbt.card, sha256: seq.card.sha256, bytes: seq.card.bytes },
      seq.bytes,
      /does not match its card: input 0: the file names it returns, the card features.*width is 16, the card's 5/,
    ],
    [
      "features",
      { ...gbt.card, featureSet: { ...gbt.card.featureSet, features: ["ret1", "ret5"] } },
      gbt.bytes,
      /feature set bar-factors v1 has 2 features, the input features has 5 columns/,
    ],
    ["card", { ...gbt.card, name: "Bad Name" }, gbt.bytes, /model card: name: lower-case kebab/],
  ];
  for (const [what, card, bytes, reason] of cases) {
    await t.rejects(registry.register(card, bytes, "mallory"), reason, what);
    await t.rejects(registry.register(card, bytes, "mallory"), ModelRefused, `${what}: a ModelRefused`);
  }
  t.same(await registry.list(), [], "no card stored");
  await registry.register(gbt.card, gbt.bytes, "alice");
  await t.rejects(registry.register(gbt.card, gbt.bytes, "alice"), /gbt-return-5f v1 is registered already/);
  t.equal((await registry.list()).length, 1);
});

t.test("a node finds the registry only where it exists, and deploys each model's promoted version", async (t) => {
  const f = await startTestServers(t);
  t.equal(await ModelRegistry.existing(f.nc), undefined, "no buckets, no registry: nothing is created");
  const registry = await ModelRegistry.open(f.nc);
  await registry.register(gbt.card, gbt.bytes, "alice");
  await registry.register({ ...gbt.card, version: 2 }, gbt.bytes, "bob");
  await registry.register(seq.card, seq.bytes, "carol");
  await registry.promote("gbt-return-5f", 2);
  const found = await ModelRegistry.existing(f.nc);
  t.same(
    (await found!.promotedModels()).map((m) => [m.card.name, m.card.version, m.bytes.length]),
    [["gbt-return-5f", 2, gbt.bytes.length]],
    "the promoted version of each promoted model, with its file",
  );
});

t.test("a challenge is kept beside the promoted version; a bad one names the field and stores nothing", async (t) => {
  const f = await startTestServers(t);
  const registry = await ModelRegistry.open(f.nc, { nowUs: () => 7 });
  await registry.register(gbt.card, gbt.bytes, "alice");
  await registry.register({ ...gbt.card, version: 2 }, gbt.bytes, "bob");
  await registry.register({ ...gbt.card, version: 3 }, gbt.bytes, "bob");
  await t.rejects(registry.startChallenge("gbt-return-5f", 2, "shadow", undefined, "carol"), {
    field: "name",
    message: /has no promoted version to challenge/,
  });
  await registry.promote("gbt-return-5f", 1);
  const refused: [Parameters<ModelRegistry["startChallenge"]>, string, RegExp][] = [
    [["gbt-return-5f", 9, "shadow", undefined, "c"], "version", /v9 is not registered/],
    [["gbt-return-5f", 1, "shadow", undefined, "c"], "version", /v1 is the promoted version/],
    [["gbt-return-5f", 2, "canary", 0, "c"], "share", /a canary needs share in \(0, 1\).*got 0/],
    [["gbt-return-5f", 2, "canary", 1, "c"], "share", /got 1/],
    [["gbt-return-5f", 2, "canary", undefined, "c"], "share", /got undefined/],
    [["gbt-return-5f", 2, "shadow", 0.5, "c"], "share", /a shadow scores every request and takes no share/],
    [["gbt-return-5f", 2, "both" as "shadow", undefined, "c"], "mode", /mode must be shadow or canary, got both/],
  ];
  for (const [args, field, message] of refused) await t.rejects(registry.startChallenge(...args), { field, message }, field);
  t.equal(await registry.challenge("gbt-return-5f"), undefined, "nothing stored");

  t.same(await registry.startChallenge("gbt-return-5f", 2, "canary", 0.1, "carol"), {
    name: "gbt-return-5f",
    version: 2,
    mode: "canary",
    share: 0.1,
    startedBy: "carol",
    startedAtUs: 7,
  });
  t.same(
    (await registry.list()).map((m) => m.version),
    [1, 2, 3],
    "the challenge is no version of the list",
  );
  await t.rejects(registry.retire("gbt-return-5f", 2), /v2 is the challenger; end the challenge first/);
  t.match(await registry.challenges(), [{ name: "gbt-return-5f", version: 2, mode: "canary" }]);
  await registry.promote("gbt-return-5f", 3);
  t.match(await registry.challenge("gbt-return-5f"), { version: 2 }, "promoting another version keeps the challenge");
  await registry.promote("gbt-return-5f", 2);
  t.equal(await registry.challenge("gbt-return-5f"), undefined, "the challenger promoted ends its challenge");
  await registry.startChallenge("gbt-return-5f", 1, "shadow", undefined, "carol");
  t.match(await registry.endChallenge("gbt-return-5f"), { version: 1, mode: "shadow" });
  t.equal(await registry.endChallenge("gbt-return-5f"), undefined, "no challenge to end");
});
