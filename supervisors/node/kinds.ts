import { loadConfig } from "../../infra/config/index.ts";
import type { ActorKind } from "../runtime/kind.ts";
import { instrumentCatalogue, instrumentKind, simulatorFeedKind } from "./kinds/market-data.ts";
import { strategyDeployable } from "./kinds/strategy-deployments.ts";
import { exchangeKind, orderKind, riskBookKind, strategyKind, venueKind } from "./kinds/trading.ts";

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
];

/** Kinds deployed from a configuration (am.admin.deploy): strategies running a sample on given instruments. */
export const deployable = [strategyDeployable(catalogue)];
