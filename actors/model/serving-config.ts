import { z } from "zod";
import type { Batching } from "./state.ts";

/**
 * How this node serves models, from the environment:
 *   AM_MODEL_PROVIDER      cpu | cuda           (default cpu; cuda falls back to cpu, with a warning, where it does not load)
 *   AM_MODEL_MAX_BATCH     requests per inference (default 64)
 *   AM_MODEL_MAX_WAIT_MS   how long a batch's first request waits for others (default 1)
 *   AM_MODEL_TIMEOUT_MS    an inference not answered within this fails and restarts the actor (default 2000)
 *   AM_MODEL_LOAD_TIMEOUT_MS  a session not loaded within this fails the waiting callers and restarts the actor (default 60000)
 *   AM_MODEL_THREADS       onnxruntime threads per session (default 1: many small models share the cores)
 */
const Env = z.object({
  AM_MODEL_PROVIDER: z.enum(["cpu", "cuda"]).default("cpu"),
  AM_MODEL_MAX_BATCH: z.coerce.number().int().min(1).max(4096).default(64),
  AM_MODEL_MAX_WAIT_MS: z.coerce.number().min(0).max(1000).default(1),
  AM_MODEL_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(2000),
  AM_MODEL_LOAD_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(60_000),
  AM_MODEL_THREADS: z.coerce.number().int().min(1).max(256).default(1),
});

export interface ModelServingConfig {
  provider: "cpu" | "cuda";
  batching: Batching;
  intraOpThreads: number;
}

export function modelServingConfig(env: Record<string, string | undefined>): ModelServingConfig {
  const r = Env.safeParse(env);
  if (!r.success) throw new Error(`model serving settings: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const e = r.data;
  return {
    provider: e.AM_MODEL_PROVIDER,
    batching: {
      maxBatch: e.AM_MODEL_MAX_BATCH,
      maxWaitMs: e.AM_MODEL_MAX_WAIT_MS,
      timeoutMs: e.AM_MODEL_TIMEOUT_MS,
      loadTimeoutMs: e.AM_MODEL_LOAD_TIMEOUT_MS,
    },
    intraOpThreads: e.AM_MODEL_THREADS,
  };
}
