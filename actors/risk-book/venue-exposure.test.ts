import t from "tap";
import { creditValuationAdjustment, hazardFromSpread } from "./analytics/index.ts";
import type { AnalyticsInput } from "./analytics-input.ts";
import { riskCovariance } from "./analytics-report.ts";
import { defaultAnalyticsSettings } from "./analytics-settings.ts";
import { counterpartySection } from "./venue-exposure.ts";

/** Long AAPL and short MSFT at XNAS, long BTC at XCRY, 60 one-minute returns along fixed paths. */
function input(): AnalyticsInput {
  const returns = Array.from({ length: 60 }, (_, k) => [0.002 * Math.sin(k * 1.7), 0.0015 * Math.cos(k * 2.3), 0.004 * Math.sin(k * 0.9)]);
  const position = (instrument: string, venue: string, exposure: number) =>
    ({ instrument, venue, assetClass: "EQUITY", sector: "TECH", exposure }) as const;
  return {
    book: "b",
    asOfUs: 0,
    positions: [position("AAPL.XNAS", "XNAS", 1_000_000), position("MSFT.XNAS", "XNAS", -400_000), position("BTC.XCRY", "XCRY", 300_000)],
    returns,
    sampleUs: 60_000_000,
    windowConfidence: 0.99,
    backtest: [],
    equity: [],
    equityEveryUs: 30_000_000,
    limits: [],
    strategyPositions: {},
  };
}

const request = { confidence: 0.99, paths: 2_000, seed: 4, hypothetical: [] };
type Profile = {
  counterparty: string;
  times: number[];
  expectedExposure: number[];
  cva: number;
  credit: { hazardRate: number };
  collateral: unknown;
};

function run(counterparties: (typeof defaultAnalyticsSettings)["counterparties"]) {
  const i = input();
  const s = counterpartySection(i, request, riskCovariance(i.returns, 3), { ...defaultAnalyticsSettings, counterparties });
  if (!s.available) throw new Error(s.reason);
  return Object.fromEntries((s.counterparties as Profile[]).map((c) => [c.counterparty, c]));
}

t.test("each venue has its own CSA and credit; CVA comes from the collateralised EE", async (t) => {
  const bare = run({});
  t.same(bare.XNAS!.collateral, null, "no terms: uncollateralised");
  const csa = { threshold: 0, minimumTransfer: 0, independentAmount: 0, marginPeriodDays: 0 };
  const full = run({ XNAS: { collateral: csa, credit: { spread: 0.03 } } });
  t.same(
    full.XNAS!.expectedExposure,
    full.XNAS!.times.map(() => 0),
    "zero threshold and MPoR: nothing at risk",
  );
  t.equal(full.XNAS!.cva, 0, "and no CVA");
  t.same(full.XCRY, bare.XCRY, "another venue keeps its own (default) terms");
  t.equal(full.XNAS!.credit.hazardRate, hazardFromSpread(0.03, 0.4), "the venue's spread, the default recovery");
  const loose = run({ XNAS: { collateral: { ...csa, threshold: 1e15, marginPeriodDays: 10 } } });
  t.same(loose.XNAS!.expectedExposure, bare.XNAS!.expectedExposure, "a threshold never reached is the bare profile");
  const ten = run({ XNAS: { collateral: { ...csa, marginPeriodDays: 10 } } });
  t.ok(
    ten.XNAS!.expectedExposure.every((e, k) => e > 0 && e < 0.5 * bare.XNAS!.expectedExposure[k]!),
    "a 10-day MPoR leaves the move over 10 days",
  );
  const curve = { hazardRate: hazardFromSpread(0.01, 0.4), recoveryRate: 0.4, riskFreeRate: 0.03 };
  t.equal(ten.XNAS!.cva, creditValuationAdjustment(ten.XNAS!, curve), "CVA of the collateralised EE");
});
