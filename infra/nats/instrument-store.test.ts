import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { parseFixed, asPrice, parsePrice, parseQuantity } from "../../actors/domain/index.ts";
import { demoUniverse, type InstrumentDefinition, InstrumentDefinitionError } from "../../actors/instrument/index.ts";
import { eventually, startTestServers, type Teardown } from "../../test/testing.ts";
import {
  type Catalogue,
  deleteDefinition,
  getDefinition,
  instrumentIdOfKey,
  instrumentKey,
  loadCatalogue,
  openInstrumentBucket,
  putDefinitions,
  readDefinitionsFile,
  watchCatalogue,
} from "./index.ts";
import { errorMessage } from "../../actors/contract/index.ts";

async function bucketFor(t: Teardown) {
  return openInstrumentBucket((await startTestServers(t)).nc);
}

const future: InstrumentDefinition = {
  id: "ES.Z26.XCME",
  symbol: "ES.Z26",
  venue: "XCME",
  assetClass: "FUTURE",
  currency: "USD",
  priceIncrement: parsePrice("0.25"),
  lotSize: parseQuantity("1"),
  multiplier: parseFixed("50"),
  tradingHours: {
    weekdays: [1, 2, 3, 4, 5],
    sessions: [
      { open: 0, close: 1320 },
      { open: 1380, close: 1440 },
    ],
    preOpenMinutes: 15,
  },
};
const fine: InstrumentDefinition = {
  ...demoUniverse(1)[0]!,
  id: "BRK.B.XNYS",
  symbol: "BRK.B",
  venue: "XNYS",
  priceIncrement: asPrice(1), // 0.00000001: the smallest unit
  lotSize: parseQuantity("0.3"), // no binary float holds 0.3
};

t.test("instrument ids become one KV token and come back unchanged", async (t) => {
  for (const id of ["AAPL.XNAS", "BRK.B.XNYS", "EUR/USD.FXALL", "ES:Z26+1.XCME"]) {
    const key = instrumentKey(id);
    t.match(key, /^[A-Za-z0-9_=-]+$/, `${id} → ${key}`);
    t.equal(instrumentIdOfKey(key), id);
  }
});

t.test("definitions round-trip through KV to the last unit, stored with decimals as strings", async (t) => {
  const kv = await bucketFor(t);
  const report = await putDefinitions(kv, [future, fine]);
  t.same(report, { written: ["ES.Z26.XCME", "BRK.B.XNYS"], kept: [] });
  const stored = JSON.parse((await kv.get(instrumentKey("BRK.B.XNYS")))!.string()) as Record<string, unknown>;
  t.equal(stored.priceIncrement, "0.00000001");
  t.equal(stored.lotSize, "0.3");
  t.equal(stored.multiplier, "1");
  t.equal(JSON.parse((await kv.get(instrumentKey("ES.Z26.XCME")))!.string()).multiplier, "50");
  t.same(
    await putDefinitions(kv, [future, { ...fine, sector: "Financials" }]),
    { written: ["BRK.B.XNYS"], kept: ["ES.Z26.XCME"] },
    "an unchanged definition is not written again",
  );
  t.equal((await kv.get(instrumentKey("ES.Z26.XCME")))?.revision, 1);
  await putDefinitions(kv, [fine]);
  t.same(await getDefinition(kv, "ES.Z26.XCME"), future);
  t.same(await getDefinition(kv, "BRK.B.XNYS"), fine);
  t.equal(await getDefinition(kv, "MSFT.XNAS"), undefined);
  const all = await loadCatalogue(kv);
  t.same([...all.keys()].sort(), ["BRK.B.XNYS", "ES.Z26.XCME"]);
  t.same(all.get("BRK.B.XNYS"), fine);
});

t.test("one bad definition refuses the whole set, naming the instrument and the field, and nothing is written", async (t) => {
  const kv = await bucketFor(t);
  const bad = { ...future, id: "NQ.Z26.XCME", symbol: "NQ.Z26", priceIncrement: asPrice(0) };
  const err = await putDefinitions(kv, [fine, bad]).catch((e: Error) => e);
  t.type(err, InstrumentDefinitionError);
  t.match(errorMessage(err), /instrument NQ\.Z26\.XCME\.priceIncrement: priceIncrement must be positive/);
  t.equal((await loadCatalogue(kv)).size, 0, "the good definition was not written either");
});

t.test("a file with one bad definition loads nothing, and the error names the file, the instrument and the field", async (t) => {
  const kv = await bucketFor(t);
  const dir = mkdtempSync(join(tmpdir(), "am-instruments-"));
  const file = join(dir, "instruments.json");
  writeFileSync(
    file,
    JSON.stringify({
      instruments: [
        { id: "AAPL.XNAS", assetClass: "EQUITY", currency: "USD", priceIncrement: "0.01", lotSize: "1" },
        { id: "MSFT.XNAS", assetClass: "EQUITY", currency: "USD", priceIncrement: "0.01", lotSize: "-1" },
      ],
    }),
  );
  const err = await (async () => putDefinitions(kv, readDefinitionsFile(file)))().catch((e: Error) => e);
  t.type(err, InstrumentDefinitionError);
  t.match(errorMessage(err), file);
  t.match(errorMessage(err), /instruments\[1\]\.lotSize: .*\(instrument MSFT\.XNAS\)/);
  t.equal((await loadCatalogue(kv)).size, 0, "AAPL.XNAS was not loaded either");
});

t.test("seeding only absent ids keeps what an operator changed", async (t) => {
  const kv = await bucketFor(t);
  const [a, b] = demoUniverse(2);
  await putDefinitions(kv, [{ ...a!, priceIncrement: asPrice(parseFixed("0.05")) }]);
  const report = await putDefinitions(kv, [a!, b!], { onlyAbsent: true });
  t.same(report, { written: ["SIM002.SIMX"], kept: ["SIM001.SIMX"] });
  t.equal((await getDefinition(kv, "SIM001.SIMX"))?.priceIncrement, parseFixed("0.05"));
});

t.test("a bad stored value is skipped on read and reported with its key and field", async (t) => {
  const kv = await bucketFor(t);
  await putDefinitions(kv, [fine]);
  await kv.put(
    instrumentKey("BAD.XNAS"),
    JSON.stringify({ id: "BAD.XNAS", assetClass: "EQUITY", currency: "USD", priceIncrement: 0.01, lotSize: "1", tick: 3 }),
  );
  await kv.put(
    instrumentKey("WRONG.XNAS"),
    JSON.stringify({ id: "OTHER.XNAS", assetClass: "EQUITY", currency: "USD", priceIncrement: "0.01", lotSize: "1" }),
  );
  const invalid: string[] = [];
  const all = await loadCatalogue(kv, { onInvalid: (key, e) => invalid.push(`${key}|${e.message}`) });
  t.same([...all.keys()], ["BRK.B.XNYS"]);
  t.equal(invalid.length, 2);
  t.match(
    invalid.find((s) => s.startsWith("BAD")),
    /key BAD=2EXNAS: Unrecognized key.*tick/,
  );
  t.match(
    invalid.find((s) => s.startsWith("WRONG")),
    /key WRONG=2EXNAS\.id: holds OTHER\.XNAS, expected WRONG\.XNAS/,
  );
  await t.rejects(getDefinition(kv, "BAD.XNAS"), /key BAD=2EXNAS/);
});

t.test("a watched catalogue sees a definition added, changed and deleted, in the same Map", async (t) => {
  const kv = await bucketFor(t);
  await putDefinitions(kv, [fine]);
  const catalogue: Catalogue = new Map();
  const changes: string[] = [];
  const invalid: string[] = [];
  const watch = await watchCatalogue(kv, catalogue, {
    onChange: (c) => changes.push(c.op === "put" ? `put ${c.definition.id}` : `delete ${c.id}`),
    onInvalid: (key) => invalid.push(key),
  });
  t.teardown(() => watch.stop());
  t.same([...catalogue.keys()], ["BRK.B.XNYS"], "loaded before the watch returns");

  await putDefinitions(kv, [future]);
  await eventually("the added definition", () => catalogue.get("ES.Z26.XCME"));
  t.same(catalogue.get("ES.Z26.XCME"), future);

  await putDefinitions(kv, [{ ...future, priceIncrement: asPrice(parseFixed("0.5")) }]);
  await eventually("the changed definition", () => (catalogue.get("ES.Z26.XCME")?.priceIncrement === parseFixed("0.5") ? true : undefined));

  await kv.put(instrumentKey("BRK.B.XNYS"), "{not json");
  await eventually("the bad value reported", () => (invalid.length ? true : undefined));
  t.same(catalogue.get("BRK.B.XNYS"), fine, "a corrupt write leaves the last good definition in place");

  await deleteDefinition(kv, "ES.Z26.XCME");
  await eventually("the deleted definition gone", () => (catalogue.has("ES.Z26.XCME") ? undefined : true));
  t.same(changes, ["put ES.Z26.XCME", "put ES.Z26.XCME", "delete ES.Z26.XCME"]);
  t.same(invalid, [instrumentKey("BRK.B.XNYS")]);
});
