import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import t from "tap";
import { parseInstrumentId, subjects } from "../../actors/contract/index.ts";
import { BAR_FACTORS, type BarFactors, barFactorSeries, toNumber } from "../../actors/domain/index.ts";
import { fixtureBars } from "../../actors/features/testing.ts";
import { eventually, startTestServers } from "../../test/testing.ts";
import { encodeMessage } from "../nats/index.ts";
import { createLogger } from "../telemetry/index.ts";
import { declareTables, questdbSql, Recorder, rowsOf } from "./index.ts";
import { walApplied } from "./testing.ts";

let url: string;
let nc: NatsConnection;
t.before(async () => {
  const s = await startTestServers(t, { questdb: true });
  ({ nc } = s);
  url = s.infra.questdbUrl ?? "";
  await declareTables(url);
});

t.test("bar factors published on am.md.features land in bar_factors, each double as published", async (t) => {
  const inst = "FACT.SIM";
  const bars = fixtureBars(inst);
  const series = barFactorSeries(
    bars.map((b) => ({ high: toNumber(b.high), low: toNumber(b.low), close: toNumber(b.close), volume: toNumber(b.volume) })),
  );
  const published: (BarFactors & { type: "BarFactors" })[] = [];
  for (const [i, f] of series.entries()) {
    if (!f) continue;
    const b = bars[i]!;
    const m = {
      type: "BarFactors",
      instrument: inst,
      barType: "1m",
      tsOpen: b.tsOpen,
      featureSet: BAR_FACTORS.name,
      version: BAR_FACTORS.version,
      factors: f,
      tsEvent: b.tsEvent,
      tsInit: b.tsEvent + 3,
    } as const;
    published.push(m);
    const { data, headers } = encodeMessage(m);
    await jetstream(nc).publish(subjects.md("features", parseInstrumentId(inst)), data, { headers });
  }
  // the same bar again (a redelivery): DEDUP UPSERT KEYS keep one row
  const again = encodeMessage(published[0]!);
  await jetstream(nc).publish(subjects.md("features", parseInstrumentId(inst)), again.data, { headers: again.headers });

  const r = new Recorder({
    nc,
    questdbUrl: url,
    durable: "rec-factors",
    statsIntervalMs: 0,
    record: { marketData: true, orders: false },
    log: createLogger({ write: () => {} }),
  });
  await r.start();
  t.teardown(() => r.stop());
  await eventually(
    "features recorded",
    async () => {
      const s = (await r.stats()).marketData;
      return s && s.numPending === 0 && s.numAckPending === 0 && s.acked === published.length + 1 ? s : undefined;
    },
    { timeoutMs: 30_000, everyMs: 50 },
  );
  await walApplied(url, "bar_factors");
  const rows = rowsOf(
    await questdbSql(
      url,
      "SELECT cast(ts AS LONG) ts, venue, symbol, bar_type, version, ret1, ret5, vol20, hl_range, volume_ratio, cast(ts_close AS LONG) ts_close, cast(ts_init AS LONG) ts_init FROM bar_factors WHERE symbol = 'FACT' ORDER BY ts",
    ),
  );
  t.same(
    rows.map((x) => ({
      instrument: `${x.symbol}.${x.venue}`,
      barType: x.bar_type,
      tsOpen: x.ts,
      featureSet: BAR_FACTORS.name,
      version: x.version,
      factors: { ret1: x.ret1, ret5: x.ret5, vol20: x.vol20, range: x.hl_range, volumeRatio: x.volume_ratio },
      tsEvent: x.ts_close,
      tsInit: x.ts_init,
    })),
    published.map(({ type: _t, ...m }) => m),
  );
  const bits = rows.flatMap((x, i) =>
    [x.ret1, x.ret5, x.vol20, x.hl_range, x.volume_ratio].filter((v, k) => !Object.is(v, Object.values(published[i]!.factors)[k])),
  );
  t.same(bits, [], "no double changed on its way through ILP and back");
});
