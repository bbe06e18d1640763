import { loadConfig } from "../../infra/config/index.ts";
import type { ActorKind } from "../runtime/kind.ts";
import { instrumentCatalogue, instrumentKind, simulatorFeedKind } from "./kinds/market-data.ts";
import { exchangeKind, orderKind, riskBookKind, strategyKind, venueKind } from "./kinds/trading.ts";
import { vendorFeedKinds } from "./kinds/vendor-feed.ts";

/** The actor kinds a node of the platform hosts. Cells load this module by path (AM_KINDS). */
const catalogue = instrumentCatalogue(loadConfig().demoInstruments);

export const kinds: ActorKind[] = [
  simulatorFeedKind(catalogue),
  instrumentKind(catalogue),
  exchangeKind(catalogue),
  venueKind(),
  orderKind(),
  riskBookKind(catalogue),
  strategyKind(catalogue),
  ...vendorFeedKinds(loadConfig()),
];
