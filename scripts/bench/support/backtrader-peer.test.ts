import { execFileSync } from "node:child_process";
import t from "tap";
import { type PeerRules, runBacktraderPeer, venvPython } from "./backtrader-peer.ts";

const rules: PeerRules = { fastPeriod: 10, slowPeriod: 30, atrPeriod: 14, maxPosition: 100, feeBps: 1, halfSpread: 0.01, initialCash: 1e7 };

t.test("without the venv the peer is not run, and the reason says how to get it", async (t) => {
  const r = await runBacktraderPeer(["bars.csv"], rules, "/nonexistent/venv/bin/python");
  t.same(r, { ran: false, reason: "no Python venv at /nonexistent/venv/bin/python: run bash scripts/models/setup-python.sh" });
});

/** A python3 on the PATH that lacks backtrader, if there is one. */
function pythonWithoutBacktrader(): string | undefined {
  try {
    const python = execFileSync("sh", ["-c", "command -v python3"], { encoding: "utf8" }).trim();
    execFileSync(python, ["-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('backtrader') is not None)"]);
    return python;
  } catch {
    return undefined;
  }
}
const bare = pythonWithoutBacktrader();

t.test(
  "a Python without backtrader is a reason, not a failure",
  { skip: bare ? false : "no python3 without backtrader here" },
  async (t) => {
    const r = await runBacktraderPeer(["bars.csv"], rules, bare!);
    t.same(r, { ran: false, reason: `backtrader is not installed in ${bare}: run bash scripts/models/setup-python.sh` });
  },
);

t.test("the venv is the set-up's per-user one unless AM_PYTHON_VENV names another", async (t) => {
  t.equal(venvPython({ AM_PYTHON_VENV: "/opt/venv" }), "/opt/venv/bin/python");
  t.match(venvPython({}), /\.cache\/alphamind\/python\/bin\/python$/);
});
