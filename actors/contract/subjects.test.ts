import fc from "fast-check";
import t from "tap";
import { escapeToken, parseSubject, subjects, unescapeToken } from "./subjects.ts";

t.test("a symbol with a dot travels as one token and comes back intact", async (t) => {
  const s = subjects.md("quote", { venue: "XNYS", symbol: "BRK.B" });
  t.equal(s, "am.md.quote.XNYS.BRK~2EB");
  t.same(parseSubject(s).instrument, { venue: "XNYS", symbol: "BRK.B" });
  t.equal(parseSubject(subjects.cmd("instrument", "BRK.B.XNYS")).id, "BRK.B.XNYS");
  t.same(parseSubject(subjects.evt("order", "c.1*x", "OrderFilled")), { plane: "evt", head: "order", id: "c.1*x", event: "OrderFilled" });
});

t.test("escaping is reversible for any text and never leaves a separator or wildcard in a token", async () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 40, unit: "binary" }), (raw) => {
      const token = escapeToken(raw);
      return unescapeToken(token) === raw && !/[.*>\s]/.test(token);
    }),
    { numRuns: 5000 },
  );
});

t.test("unicode whitespace beyond Latin-1 round-trips too", async (t) => {
  for (const raw of [" \u2028", "a\u3000b", "\u00a0x", "~u2028"]) t.equal(unescapeToken(escapeToken(raw)), raw, JSON.stringify(raw));
});

t.test("subjects outside the grammar are refused with the reason", async (t) => {
  t.throws(() => parseSubject("foo.bar"), /am\.<plane>/);
  t.throws(() => parseSubject("am.md.quote.XNYS"), /venue.*symbol/);
  t.throws(() => subjects.cmd("instrument", "no-venue"), /SYMBOL\.VENUE/);
});

t.test("a model's signal subject carries the model and the instrument, escaped, and parses back", async (t) => {
  const s = subjects.signal("gbt-return-5f", { venue: "XNYS", symbol: "BRK.B" });
  t.equal(s, "am.signal.gbt-return-5f.XNYS.BRK~2EB");
  t.same(parseSubject(s), { plane: "signal", head: "gbt-return-5f", instrument: { venue: "XNYS", symbol: "BRK.B" }, id: "BRK.B.XNYS" });
  t.equal(subjects.md("features", { venue: "XNYS", symbol: "BRK.B" }), "am.md.features.XNYS.BRK~2EB");
});

t.test("one venue's market data is every listing under its venue token", async (t) => {
  t.equal(subjects.mdVenue("quote", "SIMY"), "am.md.quote.SIMY.>");
  t.ok(subjects.md("quote", { venue: "SIMY", symbol: "SIM001" }).startsWith("am.md.quote.SIMY."));
});
