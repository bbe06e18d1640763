/**
 * The kinds the vendor feed tests host: instrument actors for the vendors' test symbols (open all day) and the
 * vendor-feed kind with short backoff and cool-off, so reconnect and breaker tests take milliseconds.
 */
import { AssetClass, asPrice, asQuantity, type Price, type Quantity } from "../../actors/domain/index.ts";
import { vendorFeedKind } from "../../actors/feed/connection/index.ts";
import { alwaysOpen, type InstrumentDefinition, instrumentKind } from "../../actors/instrument/index.ts";
import { fixedKinds, type HostedKinds } from "../runtime/kinds-module.ts";

const def = (id: string, priceIncrement: Price, lotSize: Quantity): InstrumentDefinition => {
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
  def("AAPL.XNAS", asPrice(1_000_000), asQuantity(100_000_000)),
  def("IBM.XNYS", asPrice(10_000), asQuantity(100_000_000)),
  def("BTCUSDT.BINANCE", asPrice(1_000_000), asQuantity(1)),
];

export const createKinds = async (): Promise<HostedKinds> =>
  fixedKinds([
    instrumentKind(new Map(testInstruments.map((d) => [d.id, d]))),
    vendorFeedKind({ feedBackoffBaseMs: 20, feedBackoffMaxMs: 100, feedBreakerThreshold: 3, feedBreakerCooldownMs: 300 }),
  ]);
