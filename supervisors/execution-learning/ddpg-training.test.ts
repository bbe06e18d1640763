import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { readModelFile } from "../../actors/model/index.ts";
import { onnxPolicy } from "./index.ts";

// CI has no Python (the committed policy is checked in policy-evaluation.test.ts); where the training env is
// installed (scripts/models/setup-python.sh), a short run checks that the learner and the environment server agree
const python = join(process.env.AM_PYTHON_VENV ?? join(homedir(), ".cache", "alphamind", "python"), "bin", "python");
const script = new URL("../../scripts/models/rl_ddpg.py", import.meta.url).pathname;

t.test(
  "a short DDPG run trains against the environment server and exports a policy that loads",
  { skip: existsSync(python) ? false : `no Python training env at ${python}` },
  async (t) => {
    const out = mkdtempSync(join(tmpdir(), "ddpg-"));
    const run = (dir: string) => spawnSync(python, [script, "--episodes", "20", "--out", dir], { encoding: "utf8", timeout: 120_000 });
    const r = run(out);
    if (r.status !== 0) t.comment(r.stderr.slice(-2000));
    t.equal(r.status, 0, "rl_ddpg.py exits 0");
    const summary = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { episodes: number; sha256: string };
    t.equal(summary.episodes, 20);
    const { card, bytes } = readModelFile("exec-ddpg-liquidation", out);
    t.equal(card.sha256, summary.sha256, "the card names the file written");
    const policy = await onnxPolicy(bytes);
    const a = await policy.act([1, 1, 0.1, 0.01, 0]);
    t.ok(a >= 0 && a <= 1, `an action in [0, 1]: ${a}`);
    await policy.release();
    const again = mkdtempSync(join(tmpdir(), "ddpg-"));
    t.equal(run(again).status, 0);
    t.equal(readModelFile("exec-ddpg-liquidation", again).card.sha256, summary.sha256, "the same arguments give the same bytes");
  },
);
