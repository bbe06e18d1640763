import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { parseFixed, parsePrice, parseQuantity } from "../../actors/domain/index.ts";
import { subjects } from "../../actors/contract/index.ts";
import type { InstrumentDefinition } from "../../actors/instrument/index.ts";
import { decodeMessage, encodeMessage } from "../../infra/nats/codec.ts";
import { openInstrumentBucket, putDefinitions } from "../../infra/nats/index.ts";
import { eventually, type TestServers, startTestServers } from "../../test/testing.ts";
import { startNodeProcess } from "./testing.ts";

const equity = (symbol: string, venue: string): InstrumentDefinition => ({
  id: `${symbol}.${venue}`,
  symbol,
  venue,
  assetClass: "EQUITY",
  currency: "USD",
  priceIncrement: parsePrice("0.05"),
  lotSize: parseQuantity("10"),
  multiplier: parseFixed("1"),
  tradingHours: { weekdays: [0, 1, 2, 3, 4, 5, 6], sessions: [{ open: 0, close: 1440 }], preOpenMinutes: 0 },
});

/** Publishes raw quotes of an instrument on the simulator's feed subject until its normalised quote comes out. */
async function quoteThrough(
  t: { teardown(fn: () => void): void },
  f: TestServers,
  d: InstrumentDefinition,
): Promise<{ bid: number; ask: number }> {
  const out: { bid: number; ask: number }[] = [];
  const sub = f.nc.subscribe(subjects.md("quote", d), {
    callback: (_e, m) => {
      out.push(decodeMessage(m.data, m.headers, false).message as unknown as { bid: number; ask: number });
    },
  });
  t.teardown(() => sub.unsubscribe());
  let seq = 0;
  return eventually(
    `a normalised quote of ${d.id} on ${subjects.md("quote", d)}`,
    () => {
      if (out[0]) return out[0];
      const now = Date.now() * 1000;
      const { data, headers } = encodeMessage({
        type: "RawQuote",
        instrument: d.id,
        bid: parseFixed("100.05"),
        bidSize: parseFixed("30"),
        ask: parseFixed("100.10"),
        askSize: parseFixed("20"),
        seq: ++seq,
        tsEvent: now,
        tsInit: now,
      });
      f.nc.publish(subjects.feed("sim", d), data, { headers });
      return new Promise<undefined>((r) => setTimeout(() => r(undefined), 100));
    },
    { timeoutMs: 30_000 },
  );
}

t.test("a node runs an instrument actor for each definition in KV, from a file, and one added while it runs", async (t) => {
  const f = await startTestServers(t);
  const kv = await openInstrumentBucket(f.nc);
  const inKv = equity("ACME", "XTST");
  await putDefinitions(kv, [inKv]);
  const dir = mkdtempSync(join(tmpdir(), "am-instruments-"));
  const file = join(dir, "instruments.json");
  writeFileSync(file, JSON.stringify([{ id: "BRK.B.XTST", assetClass: "EQUITY", currency: "USD", priceIncrement: "0.05", lotSize: "10" }]));
  const node = startNodeProcess(t, "node-i", { AM_NATS_URL: f.infra.natsUrl, AM_CELLS: "1", AM_INSTRUMENTS_FILE: file });
  await node.waitFor(/node up/, 60_000);

  const q = await quoteThrough(t, f, inKv);
  t.equal(q.bid, parseFixed("100.05"), "the instrument actor of a definition only in KV normalised the quote");
  t.equal(q.ask, parseFixed("100.10"));
  await quoteThrough(t, f, equity("BRK.B", "XTST"));
  t.pass("the definition from AM_INSTRUMENTS_FILE has its instrument actor");

  const later = equity("LATE", "XTST");
  await putDefinitions(kv, [later]);
  await node.waitFor(/instrument defined.*LATE\.XTST/);
  await quoteThrough(t, f, later);
  t.pass("a definition added while the node runs gets its instrument actor");
});

t.test("a node given a file with a bad definition does not start, and says which instrument and field", async (t) => {
  const f = await startTestServers(t);
  const dir = mkdtempSync(join(tmpdir(), "am-instruments-"));
  const file = join(dir, "instruments.json");
  writeFileSync(
    file,
    JSON.stringify([
      { id: "GOOD.XTST", assetClass: "EQUITY", currency: "USD", priceIncrement: "0.05", lotSize: "10" },
      { id: "BAD.XTST", assetClass: "EQUITY", currency: "USD", priceIncrement: "0.05", lotSize: "0" },
    ]),
  );
  const node = startNodeProcess(t, "node-bad", { AM_NATS_URL: f.infra.natsUrl, AM_CELLS: "1", AM_INSTRUMENTS_FILE: file });
  t.equal(await node.exited, 1, "the node exits with status 1");
  t.match(node.output.join("\n"), /instruments\[1\]\.lotSize: lotSize must be positive.*BAD\.XTST/);
  const kv = await openInstrumentBucket(f.nc);
  t.equal(await kv.get("GOOD=2EXTST"), null, "nothing of the file was stored");
});
