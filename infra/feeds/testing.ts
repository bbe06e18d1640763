/** Shared by the feed tests: a logger that keeps its lines, a seeded random source and quick reconnect delays. */
import { createLogger, type Logger } from "../telemetry/index.ts";

export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: "debug", json: true, write: (l) => lines.push(l) }), lines };
}

/** A deterministic random source (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Short delays so reconnect tests take milliseconds. */
export const fastBackoff = { initialMs: 5, maxMs: 40, factor: 2 };
