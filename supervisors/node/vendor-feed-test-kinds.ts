/**
 * The kinds the vendor feed tests host: instrument actors for the vendors' test symbols (open all day) and the
 * vendor-feed kind with short backoff and cool-off, so reconnect and breaker tests take milliseconds.
 */
import { AssetClass } from "../../actors/domain/index.ts";
import { vendorFeedKind } from "../../actors/feed/connection/index.ts";
import { alwaysOpen, type InstrumentDefinition, instrumentKind } from "../../actors/instrument/index.ts";
import { fixedKinds, type HostedKinds } from "../runtime/kinds-module.ts";

const def = (id: string, priceIncrement: number, lotSize: number): InstrumentDefinition => {
  const [symbol = "", venue = ""] = id.split(".");
  return {
    id,
    symbol,
    venue,
    assetClass: AssetClass.Equity,
    currency: "USD",
    priceIncrement,
    lotSize,
    multiplier: 100_000_000,
    tradingHours: alwaysOpen,
  };
};

export const testInstruments = [
  def("AAPL.XNAS", 1_000_000, 100_000_000),
  def("IBM.XNYS", 10_000, 100_000_000),
  def("BTCUSDT.BINANCE", 1_000_000, 1),
];

export const createKinds = async (): Promise<HostedKinds> =>
  fixedKinds([
    instrumentKind(new Map(testInstruments.map((d) => [d.id, d]))),
    vendorFeedKind({ feedBackoffBaseMs: 20, feedBackoffMaxMs: 100, feedBreakerThreshold: 3, feedBreakerCooldownMs: 300 }),
  ]);
