/** Enumerations of the trading vocabulary, as const objects so they exist at run time and in schemas. */
export const Side = { Buy: "BUY", Sell: "SELL" } as const;
export type Side = (typeof Side)[keyof typeof Side];
export const sides = Object.values(Side);
export const sideSign = (s: Side): 1 | -1 => (s === Side.Buy ? 1 : -1);
export const oppositeSide = (s: Side): Side => (s === Side.Buy ? Side.Sell : Side.Buy);

export const OrderType = { Market: "MARKET", Limit: "LIMIT", Stop: "STOP", StopLimit: "STOP_LIMIT" } as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];
export const orderTypes = Object.values(OrderType);

export const TimeInForce = { Day: "DAY", Gtc: "GTC", Ioc: "IOC", Fok: "FOK", Gtd: "GTD" } as const;
export type TimeInForce = (typeof TimeInForce)[keyof typeof TimeInForce];
export const timesInForce = Object.values(TimeInForce);

export const Liquidity = { Maker: "MAKER", Taker: "TAKER" } as const;
export type Liquidity = (typeof Liquidity)[keyof typeof Liquidity];

export const TradingStatus = { PreOpen: "PRE_OPEN", Open: "OPEN", Halted: "HALTED", Closed: "CLOSED" } as const;
export type TradingStatus = (typeof TradingStatus)[keyof typeof TradingStatus];

export const AssetClass = { Equity: "EQUITY", Future: "FUTURE", Fx: "FX", Crypto: "CRYPTO", Option: "OPTION", Etf: "ETF" } as const;
export type AssetClass = (typeof AssetClass)[keyof typeof AssetClass];
