import { demoUniverse } from "../../actors/instrument/index.ts";
import type { ActorNode } from "./actor-node.ts";
import { SIM_SOURCE } from "./kinds/market-data.ts";

/** Declares the demo market's actors; placement spreads them over the live nodes (ensure is idempotent). */
export async function startDemo(node: ActorNode, instruments: number): Promise<void> {
  await node.ensure({ kind: "feed", id: SIM_SOURCE });
  for (const d of demoUniverse(instruments)) await node.ensure({ kind: "instrument", id: d.id });
}
