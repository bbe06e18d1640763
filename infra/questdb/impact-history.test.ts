import t from "tap";
import { asPrice, asQuantity, type Quote, type Trade } from "../../actors/domain/index.ts";
import { estimateImpact } from "../../actors/execution-algo/index.ts";
import type { TestInfra } from "../local/index.ts";
import { startTestServers } from "../../test/testing.ts";
import { impactHistoryOf } from "./impact-history.ts";
import { declareTables, openIlpWriter } from "./index.ts";
import { quoteRow, tradeRow } from "./rows.ts";
import { walApplied } from "./testing.ts";

let infra: TestInfra;
let url: string;
const SEC = 1_000_000;
const D = 20_400 * 86_400 * SEC; // a midnight UTC (2025-11-09)
const ACME = "ACME.XTST";
const N = 120;
const GAMMA = 0.0004; // price per share of net flow
const ETA = 0.0002; // price per share per share of a trade

const px = (p: number) => asPrice(Math.round(p * 1e8));
const qty = (q: number) => asQuantity(Math.round(q * 1e8));

// slice k: a quote 100 ms in (mid m_k, spread 0.02), then a buy and a sell whose costs grow with their size
const mids: number[] = [];
const nets: number[] = [];
const quotes: Quote[] = [];
const trades: Trade[] = [];
let mid = 100;
for (let k = 0; k < N; k++) {
  const buy = 10 + ((k * 37) % 90);
  const sell = 10 + ((k * 53) % 70);
  nets.push(buy - sell);
  mid = Math.round((mid + GAMMA * (buy - sell) + (k % 3 === 0 ? 0.001 : -0.0005)) * 1e6) / 1e6;
  mids.push(mid);
  const at = D + k * SEC;
  quotes.push({
    instrument: ACME,
    bid: px(mid - 0.01),
    bidSize: qty(100),
    ask: px(mid + 0.01),
    askSize: qty(100),
    seq: k,
    tsEvent: at + 100_000,
    tsInit: at + 100_000,
  });
  trades.push(
    {
      instrument: ACME,
      price: px(mid + 0.01 + ETA * buy),
      size: qty(buy),
      aggressor: "BUY",
      tradeId: `b${k}`,
      seq: 2 * k,
      tsEvent: at + 500_000,
      tsInit: at + 500_000,
    },
    {
      instrument: ACME,
      price: px(mid - 0.01 - ETA * sell),
      size: qty(sell),
      aggressor: "SELL",
      tradeId: `s${k}`,
      seq: 2 * k + 1,
      tsEvent: at + 600_000,
      tsInit: at + 600_000,
    },
  );
}

t.before(async () => {
  ({ infra } = await startTestServers(t, { questdb: true, declare: false }));
  url = infra.questdbUrl ?? "";
  await declareTables(url);
  const sender = await openIlpWriter(url);
  for (const q of quotes) sender.row(quoteRow(q));
  for (const x of trades) sender.row(tradeRow(x));
  // another instrument's flow must not enter the estimate
  sender.row(tradeRow({ ...trades[0]!, instrument: "OTHER.XTST", size: qty(1_000_000) }));
  await sender.flush();
  await sender.close();
  await walApplied(url, "quotes", { written: true });
  await walApplied(url, "trades", { written: true });
});

t.test("the recorded market per slice and per trade, as QuestDB samples and joins it", async (t) => {
  const h = await impactHistoryOf(url, { instrument: ACME, sliceUs: SEC, days: 1, nowUs: D + N * SEC });
  t.equal(h.sliceUs, SEC);
  t.equal(h.slices.length, N);
  t.same(
    h.slices.map((s) => s.atUs),
    mids.map((_, k) => D + k * SEC),
    "one slice per second, at its start",
  );
  t.ok(
    h.slices.every((s, k) => Math.abs(s.mid - mids[k]!) < 1e-9 && Math.abs(s.spread - 0.02) < 1e-9),
    "each slice's last mid and its spread",
  );
  t.same(
    h.slices.map((s) => s.netVolume),
    nets,
    "signed volume: buys less sells",
  );
  t.equal(h.trades.length, 2 * N, "every trade of the instrument, none of another");
  t.ok(
    h.trades.every((x, i) => Math.abs(x.mid - mids[Math.floor(i / 2)]!) < 1e-9),
    "each trade with the mid quoted before it",
  );
  const e = estimateImpact(h.slices, h.trades, h.sliceUs);
  t.equal(e.permanentMethod, "regression");
  t.equal(e.temporaryMethod, "regression");
  t.ok(Math.abs(e.permanentImpact / GAMMA - 1) < 0.1, `γ ${e.permanentImpact} within 10 % of ${GAMMA}`);
  t.ok(Math.abs(e.temporaryImpact / ETA - 1) < 0.01, `η ${e.temporaryImpact} within 1 % of ${ETA}`);
});

t.test("a query that cannot be answered is refused with the field and the limit", async (t) => {
  await t.rejects(impactHistoryOf(url, { instrument: "nope", sliceUs: SEC, days: 1, nowUs: D }), /instrument/);
  await t.rejects(impactHistoryOf(url, { instrument: ACME, sliceUs: 10, days: 1, nowUs: D }), /sliceUs 10 must be an integer from 1 000/);
  await t.rejects(impactHistoryOf(url, { instrument: ACME, sliceUs: SEC, days: 0, nowUs: D }), /days 0 must be an integer from 1 to 366/);
});
