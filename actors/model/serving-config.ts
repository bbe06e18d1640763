import type { Batching } from "./state.ts";

/** How a node serves models: its settings (AM_MODEL_*, see the README's configuration table) as the model kind uses them. */
export interface ModelServingConfig {
  provider: "cpu" | "cuda";
  batching: Batching;
  intraOpThreads: number;
}
