import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** What the backtrader script (backtrader-peer.py) printed. */
export interface BacktraderRun {
  bars: number;
  orders: number;
  fills: number;
  fees: number;
  pnl: number;
  wallSec: number;
  cpuSec: number;
  backtrader: string;
  python: string;
}

/** The trend follower's settings and the fill and fee rules both sides run under. */
export interface PeerRules {
  fastPeriod: number;
  slowPeriod: number;
  atrPeriod: number;
  maxPosition: number;
  feeBps: number;
  /** the fill's distance from the bar's close, in price */
  halfSpread: number;
  initialCash: number;
}

export type PeerOutcome = { ran: true; run: BacktraderRun } | { ran: false; reason: string };

const SCRIPT = fileURLToPath(new URL("./backtrader-peer.py", import.meta.url));

/** The per-user venv scripts/models/setup-python.sh makes (AM_PYTHON_VENV overrides it). */
export function venvPython(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.AM_PYTHON_VENV ?? join(homedir(), ".cache", "alphamind", "python"), "bin", "python");
}

/**
 * Runs the trend follower in backtrader on the bar files; an absent venv, a missing backtrader or a failed run is
 * an outcome with its reason, never a thrown error, so the bench still reports the platform's figures.
 */
export async function runBacktraderPeer(files: readonly string[], rules: PeerRules, python = venvPython()): Promise<PeerOutcome> {
  if (!existsSync(python)) return { ran: false, reason: `no Python venv at ${python}: run bash scripts/models/setup-python.sh` };
  const args = [
    SCRIPT,
    `--fast=${rules.fastPeriod}`,
    `--slow=${rules.slowPeriod}`,
    `--atr=${rules.atrPeriod}`,
    `--max-position=${rules.maxPosition}`,
    `--fee-bps=${rules.feeBps}`,
    `--half-spread=${rules.halfSpread}`,
    `--cash=${rules.initialCash}`,
    ...files,
  ];
  const child = spawn(python, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err = (err + s).slice(-2000)));
  const code = await new Promise<number | null>((resolve) => {
    child.on("error", (e) => {
      err += e.message;
      resolve(null);
    });
    child.on("close", (c) => resolve(c));
  });
  if (code !== 0) {
    const missing = /No module named 'backtrader'/.test(err);
    return {
      ran: false,
      reason: missing
        ? `backtrader is not installed in ${python}: run bash scripts/models/setup-python.sh`
        : `backtrader run exited with ${code}: ${err.trim().split("\n").slice(-3).join(" | ")}`,
    };
  }
  const last = out.trim().split("\n").pop() ?? "";
  try {
    return { ran: true, run: JSON.parse(last) as BacktraderRun };
  } catch {
    return { ran: false, reason: `backtrader run printed no JSON result line: ${last.slice(0, 200)}` };
  }
}
