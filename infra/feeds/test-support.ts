/** Shared by the feed tests: waiting for a condition, and a logger that keeps its lines. */
import { createLogger, type Logger } from "../telemetry/index.ts";

/** Resolves when `cond` holds; rejects naming `what` after `limitMs` (a hang guard, not a timing assertion). */
export async function until(cond: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

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
