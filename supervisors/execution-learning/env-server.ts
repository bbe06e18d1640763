/**
 * The liquidation environment over stdin/stdout for a learner in another process (scripts/models/rl_ddpg.py): one
 * JSON request a line in, one JSON answer a line out, in order. The learner owns no market code: fills, fees and
 * the market path are the platform's.
 *
 *   {"op":"settings"}                      → {"settings":{…},"observationWidth":5,"features":[…],"doc":{…},…}
 *   {"op":"reset","seed":7}                → {"observation":[…]}
 *   {"op":"step","action":0.4}             → {"observation":[…],"reward":-1.2,"done":false}
 *   {"op":"twap"}                          → {"action":0.5}   (the action that sends TWAP's child now)
 *   {"op":"outcome"}                       → {"seed":7,"shortfallBps":…,"soldLots":…,"feesPaid":…,"children":…}
 *
 * A request it cannot serve answers {"error":"…"} and changes nothing; the server goes on with the next line.
 * Start: `npx tsx supervisors/execution-learning/env-server.ts ['{"steps":10,…}']` (settings over the defaults).
 */
import { createInterface } from "node:readline";
import {
  defaultLiquidationSettings,
  LiquidationEpisode,
  type LiquidationSettings,
  OBSERVATION_WIDTH,
  observationDoc,
  observationFeatures,
} from "./liquidation-env.ts";
import { parseLiquidationSettings } from "./settings.ts";

function answer(env: LiquidationEpisode, line: string): unknown {
  const req = JSON.parse(line) as { op?: unknown; seed?: unknown; action?: unknown };
  switch (req.op) {
    case "settings":
      return {
        settings: env.settings,
        observationWidth: OBSERVATION_WIDTH,
        features: observationFeatures,
        doc: observationDoc,
        stepVolatilityBps: env.stepVolatilityBps(),
        episodeRangeUs: env.episodeRangeUs(),
      };
    case "reset":
      if (typeof req.seed !== "number") throw new Error("reset.seed: must be a number");
      return { observation: env.reset(req.seed) };
    case "step":
      if (typeof req.action !== "number") throw new Error("step.action: must be a number");
      return env.step(req.action);
    case "twap":
      return { action: env.twapAction() };
    case "outcome":
      return env.outcome();
    default:
      throw new Error(`op: ${JSON.stringify(req.op)} is not settings, reset, step, twap or outcome`);
  }
}

const settings: LiquidationSettings = process.argv[2] ? parseLiquidationSettings(JSON.parse(process.argv[2])) : defaultLiquidationSettings;
const env = new LiquidationEpisode(settings);
const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
for await (const line of lines) {
  if (line.trim() === "") continue;
  let reply: unknown;
  try {
    reply = answer(env, line);
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
