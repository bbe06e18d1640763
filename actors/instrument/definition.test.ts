import t from "tap";
import { AssetClass, formatFixed } from "../domain/index.ts";
import { demoUniverse, instrumentDefinitionSchema, loadInstrumentDefinitions } from "./index.ts";

const good = {
  id: "BRK.B.XNYS",
  assetClass: "EQUITY",
  currency: "USD",
  priceIncrement: "0.01",
  lotSize: 1,
  tradingHours: { weekdays: [1, 2, 3, 4, 5], sessions: [{ open: 870, close: 1260 }], preOpenMinutes: 30 },
};

t.test("loads a definition into fixed-point units and splits the id", async (t) => {
  const [d] = loadInstrumentDefinitions(JSON.stringify({ instruments: [good] }));
  t.equal(d!.symbol, "BRK.B");
  t.equal(d!.venue, "XNYS");
  t.equal(formatFixed(d!.priceIncrement), "0.01");
  t.equal(formatFixed(d!.lotSize), "1");
  t.equal(formatFixed(d!.multiplier), "1");
  t.equal(d!.assetClass, AssetClass.Equity);
});

t.test("names the index and the field of every bad definition", async (t) => {
  const bad = [
    good,
    { ...good, id: "NOVENUE", priceIncrement: "-0.01" },
    { ...good, id: "X.Y", tradingHours: { weekdays: [1], sessions: [{ open: 600, close: 500 }] } },
  ];
  const err = t.throws(() => loadInstrumentDefinitions(JSON.stringify(bad))) as Error;
  t.match(err.message, /instruments\[1\]\.id: must be SYMBOL\.VENUE/);
  t.match(err.message, /instruments\[1\]\.priceIncrement: priceIncrement must be positive/);
  t.match(err.message, /instruments\[2\]\.tradingHours\.sessions\[0\]: open 600 must be before close 500/);
  t.notMatch(err.message, /instruments\[0\]/);
});

t.test("rejects a repeated id, unknown fields and text that is not JSON", async (t) => {
  t.throws(
    () => loadInstrumentDefinitions(JSON.stringify([good, good])),
    /instruments\[1\]\.id: BRK\.B\.XNYS is already defined at instruments\[0\]/,
  );
  t.throws(() => loadInstrumentDefinitions(JSON.stringify([{ ...good, tick: 1 }])), /instruments\[0\]/);
  t.throws(() => loadInstrumentDefinitions("{"), /not valid JSON/);
  t.throws(() => loadInstrumentDefinitions("{}"), /must be an array/);
});

t.test("generates a demo universe that passes its own schema", async (t) => {
  const u = demoUniverse(12);
  t.equal(u.length, 12);
  t.equal(u[0]!.id, "SIM001.SIMX");
  t.equal(u[11]!.id, "SIM012.SIMX");
  for (const d of u) {
    const r = instrumentDefinitionSchema.safeParse({
      id: d.id,
      assetClass: d.assetClass,
      currency: d.currency,
      priceIncrement: formatFixed(d.priceIncrement),
      lotSize: formatFixed(d.lotSize),
      sector: d.sector,
      tradingHours: d.tradingHours,
    });
    t.ok(r.success, d.id);
  }
});
