import { asPrice, asQuantity } from "../domain/index.ts";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import t from "tap";
import { checkDefinitions, definitionRecord, demoUniverse, InstrumentDefinitionError, parseDefinitionRecord } from "./index.ts";

t.test("any positive increment, lot and multiplier survives the stored form to the last unit", async (t) => {
  const [base] = demoUniverse(1);
  const units = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
  fc.assert(
    fc.property(units, units, units, (priceIncrement, lotSize, multiplier) => {
      const d = { ...base!, priceIncrement: asPrice(priceIncrement), lotSize: asQuantity(lotSize), multiplier };
      const json = JSON.stringify(checkDefinitions([d])[0]);
      // decimals are stored as strings, and read back to the same units
      return !/"(priceIncrement|lotSize|multiplier)":\d/.test(json) && isDeepStrictEqual(parseDefinitionRecord(json, "k", d.id), d);
    }),
    { numRuns: 300 },
  );
  t.equal(definitionRecord({ ...base!, lotSize: asQuantity(30_000_000) }).lotSize, "0.3");
});

t.test("checking a set names every bad instrument and field, and a repeated id", async (t) => {
  const [a, b] = demoUniverse(2);
  const err = t.throws(() => checkDefinitions([a!, { ...b!, currency: "usd" }, { ...a!, lotSize: asQuantity(0) }])) as Error;
  t.type(err, InstrumentDefinitionError);
  t.match(err.message, /instrument SIM002\.SIMX\.currency: 3 to 5 upper-case letters/);
  t.match(err.message, /instrument SIM001\.SIMX\.lotSize: lotSize must be positive/);
  t.match(err.message, /instrument SIM001\.SIMX\.id: defined twice/);
  t.throws(() => checkDefinitions([{ ...a!, symbol: "OTHER" }]), /instrument SIM001\.SIMX\.symbol/);
});
