/**
 * The execution agent (DDPG) of the research loop:
 *
 * `npx tsx scripts/research-rl.ts train [--episodes 1500] [--seed 1] [--eval-seeds 300] [--out models/rl] [--quick]`
 *   trains with scripts/models/rl_ddpg.py (the Python training env, `bash scripts/models/setup-python.sh`) in the
 *   platform's liquidation environment, evaluates the exported ONNX policy against TWAP on held-out seeds and writes
 *   the held-out figures into the model card's `validation`. `--quick` is 120 episodes and 40 evaluation seeds.
 * `npx tsx scripts/research-rl.ts evaluate [--model models/rl/exec-ddpg-liquidation] [--seeds 300]`
 *   evaluates a policy file only.
 * `npx tsx scripts/research-rl.ts backtest [--model exec-ddpg-liquidation] [--seeds 100]`
 *   evaluates a committed policy (models/rl) in the backtester: one sell parent per held-out seed worked by the `RL`
 *   execution algorithm (the policy served by its model actor) and, on the same market, by TWAP; implementation
 *   shortfall of each and their paired difference, mean and 95 % CI.
 *
 * Progress on stderr, one JSON line on stdout. Register the result with
 * `node --import tsx scripts/admin.ts models register models/rl/exec-ddpg-liquidation.onnx models/rl/exec-ddpg-liquidation.json`.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { errorMessage } from "../actors/contract/index.ts";
import { ModelCard, readModelFile } from "../actors/model/index.ts";
import {
  type BacktestEvaluation,
  evaluateInBacktest,
  evaluatePolicy,
  type PolicyEvaluation,
} from "../supervisors/execution-learning/index.ts";
import { integerOption, option } from "./cli-options.ts";

const NAME = "exec-ddpg-liquidation";
const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const usage =
  "usage: npx tsx scripts/research-rl.ts train [--episodes N] [--seed N] [--eval-seeds N] [--out DIR] [--quick]\n" +
  "       npx tsx scripts/research-rl.ts evaluate [--model DIR/NAME] [--seeds N]\n" +
  "       npx tsx scripts/research-rl.ts backtest [--model NAME] [--seeds N]\n";

async function evaluate(modelPath: string, seeds: number): Promise<PolicyEvaluation> {
  const { bytes } = readModelFile(basename(modelPath), dirname(modelPath));
  let last = 0;
  const report = await evaluatePolicy(bytes, {
    seeds,
    onProgress: (done, total) => {
      const now = Date.now();
      if (now - last < 1000 && done < total) return;
      last = now;
      process.stderr.write(`[rl-eval] ${done}/${total} held-out seeds\n`);
    },
  });
  const f = (e: { mean: number; ci95: [number, number] }) => `${e.mean.toFixed(3)} [${e.ci95[0].toFixed(3)}, ${e.ci95[1].toFixed(3)}]`;
  process.stderr.write(
    `[rl-eval] shortfall bps: DDPG ${f(report.policy.shortfallBps)} sd ${report.policy.shortfallBps.stdev.toFixed(2)}, TWAP ${f(report.twap.shortfallBps)} sd ${report.twap.shortfallBps.stdev.toFixed(2)}, paired diff ${f(report.difference.shortfallBps)}\n` +
      `[rl-eval] objective: DDPG ${f(report.policy.objective)}, TWAP ${f(report.twap.objective)}, paired diff ${f(report.difference.objective)}\n`,
  );
  return report;
}

const interval = (e: { mean: number; ci95: [number, number] }) => `${e.mean.toFixed(3)} [${e.ci95[0].toFixed(3)}, ${e.ci95[1].toFixed(3)}]`;

async function backtest(model: string, seeds: number): Promise<BacktestEvaluation> {
  let last = 0;
  const report = await evaluateInBacktest({
    seeds,
    model,
    onProgress: (done, total) => {
      const now = Date.now();
      if (now - last < 2000 && done < total) return;
      last = now;
      process.stderr.write(`[rl-backtest] ${done}/${total} held-out seeds (RL and TWAP parents)\n`);
    },
  });
  process.stderr.write(
    `[rl-backtest] shortfall bps: RL ${interval(report.rl.shortfallBps)} sd ${report.rl.shortfallBps.stdev.toFixed(2)}, TWAP ${interval(report.twap.shortfallBps)} sd ${report.twap.shortfallBps.stdev.toFixed(2)}, paired RL − TWAP ${interval(report.difference.shortfallBps)}\n` +
      `[rl-backtest] ${report.wallMs} ms wall, ${report.cpuMs} ms CPU\n`,
  );
  return report;
}

function runTrainer(args: string[]): Promise<void> {
  const python = join(process.env.AM_PYTHON_VENV ?? join(homedir(), ".cache", "alphamind", "python"), "bin", "python");
  return new Promise((done, fail) => {
    const child = spawn(python, [join(root, "scripts", "models", "rl_ddpg.py"), ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr.on("data", (b: Buffer) => {
      for (const line of b.toString().split("\n")) if (line && !line.startsWith("npm warn")) process.stderr.write(`${line}\n`);
    });
    let summary = "";
    child.stdout.on("data", (b: Buffer) => {
      summary += b.toString();
    });
    child.on("error", (e) => fail(new Error(`${python}: ${e.message} (run bash scripts/models/setup-python.sh)`)));
    child.on("close", (code) => {
      if (summary.trim()) process.stderr.write(`[rl-train] ${summary.trim()}\n`);
      if (code === 0) done();
      else fail(new Error(`rl_ddpg.py exited with code ${code}`));
    });
  });
}

async function train(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const episodes = integerOption(args, "--episodes", quick ? 120 : 1500, 1);
  const evalSeeds = integerOption(args, "--eval-seeds", quick ? 40 : 300, 1);
  const out = resolve(option(args, "--out") ?? join(root, "models", "rl"));
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  await runTrainer(["--episodes", String(episodes), "--seed", String(integerOption(args, "--seed", 1, 1)), "--out", out]);
  const trainMs = Math.round(performance.now() - wall0);
  const report = await evaluate(join(out, NAME), evalSeeds);
  const cardFile = join(out, `${NAME}.json`);
  const card = ModelCard.parse(JSON.parse(readFileSync(cardFile, "utf8")));
  card.validation = {
    ...card.validation,
    heldOutSeeds: report.episodes,
    shortfallBps: round(report.policy.shortfallBps.mean),
    shortfallBpsStdev: round(report.policy.shortfallBps.stdev),
    twapShortfallBps: round(report.twap.shortfallBps.mean),
    twapShortfallBpsStdev: round(report.twap.shortfallBps.stdev),
    shortfallDiffBps: round(report.difference.shortfallBps.mean),
    shortfallDiffCiLow: round(report.difference.shortfallBps.ci95[0]),
    shortfallDiffCiHigh: round(report.difference.shortfallBps.ci95[1]),
    objective: round(report.policy.objective.mean),
    twapObjective: round(report.twap.objective.mean),
    objectiveDiffCiLow: round(report.difference.objective.ci95[0]),
    objectiveDiffCiHigh: round(report.difference.objective.ci95[1]),
    trainWallS: round(trainMs / 1000),
  };
  writeFileSync(cardFile, `${JSON.stringify(card, null, 2)}\n`);
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({ model: NAME, out, episodes, trainWallMs: trainMs, wallMs: Math.round(performance.now() - wall0), cpuMsThisProcess: Math.round((cpu.user + cpu.system) / 1000), evaluation: report })}\n`,
  );
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "train") await train(rest);
  else if (command === "evaluate") {
    const report = await evaluate(
      resolve(option(rest, "--model") ?? join(root, "models", "rl", NAME)),
      integerOption(rest, "--seeds", 300, 1),
    );
    process.stdout.write(`${JSON.stringify({ model: NAME, evaluation: report })}\n`);
  } else if (command === "backtest") {
    const report = await backtest(option(rest, "--model") ?? NAME, integerOption(rest, "--seeds", 100, 1));
    process.stdout.write(`${JSON.stringify({ evaluation: report })}\n`);
  } else {
    process.stderr.write(usage);
    process.exit(2);
  }
} catch (e) {
  process.stderr.write(`research-rl: ${errorMessage(e)}\n`);
  process.exit(1);
}
