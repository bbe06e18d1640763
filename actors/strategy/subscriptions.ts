/** What the runtime subscribes to for a strategy actor; built from its config, never by string concatenation. */
import { parseInstrumentId, subjects } from "../contract/index.ts";
import { parseStrategyConfig, type StrategyConfigInput } from "./config.ts";

export interface StrategySubscriptions {
  /**
   * am.md.<channel>.<venue>.<symbol> for each traded instrument and channel, and am.signal.<model>.<venue>.<symbol>
   * for each instrument and model it hears, am.evt.regime.<venue>.<symbol>.RegimeEstimated with `regimes`
   */
  marketData: string[];
  /**
   * Order events of all orders: their subjects carry the client order id, which a NATS wildcard cannot match by
   * prefix, so the machine keeps only ids it made (<strategyId>.<session>.<n>).
   */
  orderEvents: string[];
  commands: string;
}

export function subscriptions(config: StrategyConfigInput): StrategySubscriptions {
  const c = parseStrategyConfig(config);
  const marketData: string[] = [];
  for (const i of c.instruments) {
    const id = parseInstrumentId(i.id);
    for (const ch of c.channels) marketData.push(subjects.md(ch, id));
    for (const model of c.signals) marketData.push(subjects.signal(model, id));
    if (c.regimes) marketData.push(subjects.evt("regime", i.id, "RegimeEstimated"));
  }
  // Order events, and the book's denials (an order the risk book refused never becomes an order actor).
  return {
    marketData,
    orderEvents: [subjects.evtAll("order"), subjects.evt("risk-book", c.book, "OrderDenied")],
    commands: subjects.cmd("strategy", c.strategyId),
  };
}
