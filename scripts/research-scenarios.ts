/**
 * The generative scenario model of the research loop (a CCC-GARCH(1,1) with multivariate Student-t shocks,
 * supervisors/scenario-generation):
 *
 * `npx tsx scripts/research-scenarios.ts train [--name ccc-garch-10d] [--seed 7] [--days 2000] [--horizon 10]
 * [--paths 5000] [--out models/scenarios] [--quick]`
 *   simulates the training panel (4 instruments, daily, seeded simulator), fits the model, checks the stylised
 *   facts of a long generated path against the training data and a held-out panel (another seed), and stores the
 *   scenario set as <out>/<name>.json. `--quick` is 600 training days and 2000 paths.
 * `npx tsx scripts/research-scenarios.ts request <name>`
 *   prints the GetRiskAnalytics fields that run the stored set in a book's stress table:
 *   `node --import tsx scripts/admin.ts analytics <book> "$(npx tsx scripts/research-scenarios.ts request ccc-garch-10d)"`.
 *
 * Progress on stderr, one JSON line on stdout.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { errorMessage } from "../actors/contract/index.ts";
import {
  buildScenarioSet,
  correlationGap,
  generateReturns,
  readScenarioSet,
  scenarioSetsDir,
  simulatedReturnPanel,
  stressRequestOf,
  stylisedFacts,
  trainScenarioModel,
  writeScenarioSet,
} from "../supervisors/scenario-generation/index.ts";
import { integerOption, option } from "./cli-options.ts";

const INSTRUMENTS = ["SIM001.SIMX", "SIM002.SIMX", "SIM003.SIMX", "SIM004.SIMX"];
const BETAS = [1, 0.8, 1.2, 0.5];
const usage =
  "usage: npx tsx scripts/research-scenarios.ts train [--name NAME] [--seed N] [--days N] [--horizon N] [--paths N] [--out DIR] [--quick]\n" +
  "       npx tsx scripts/research-scenarios.ts request <name>\n";

/** Share of days the equal-weighted portfolio lost more than the generated 1 % quantile (99 % VaR): about 0.01 if calibrated. */
function varExceedance(
  generated: readonly (readonly number[])[],
  holdout: readonly (readonly number[])[],
): { var99: number; exceedance: number } {
  const ew = (row: readonly number[]) => row.reduce((s, x) => s + Math.expm1(x), 0) / row.length;
  const sorted = generated.map(ew).sort((a, b) => a - b);
  const var99 = -sorted[Math.floor(0.01 * (sorted.length - 1))]!;
  const exceedance = holdout.filter((r) => -ew(r) > var99).length / holdout.length;
  return { var99, exceedance };
}

function train(args: string[]): void {
  const quick = args.includes("--quick");
  const name = option(args, "--name") ?? "ccc-garch-10d";
  const seed = integerOption(args, "--seed", 7, 0);
  const days = integerOption(args, "--days", quick ? 600 : 2000, 0);
  const horizon = integerOption(args, "--horizon", 10, 0);
  const paths = integerOption(args, "--paths", quick ? 2000 : 5000, 0);
  const out = resolve(option(args, "--out") ?? scenarioSetsDir);
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  process.stderr.write(`[scenarios] simulating ${days} days of ${INSTRUMENTS.length} instruments (seed ${seed})\n`);
  const panel = simulatedReturnPanel({ seed, instruments: INSTRUMENTS, days, betas: BETAS });
  const simMs = Math.round(performance.now() - wall0);
  process.stderr.write(`[scenarios] fitting CCC-GARCH(1,1)-t on ${panel.rows.length} days (${simMs} ms simulating)\n`);
  const report = trainScenarioModel(panel.instruments, panel.rows, { seed: seed + 1, generatedDays: 5_000 });
  process.stderr.write(
    `[scenarios] fitted in ${report.fitMs} ms: ν ${report.model.dof.toFixed(2)}, ${report.model.series.map((s, i) => `${INSTRUMENTS[i]} α ${s.alpha.toFixed(3)} β ${s.beta.toFixed(3)}`).join(", ")}\n`,
  );
  // out of sample: a panel of another seed the model never saw
  const holdout = simulatedReturnPanel({ seed: seed + 10_000, instruments: INSTRUMENTS, days: 1_000, betas: BETAS });
  const holdoutFacts = stylisedFacts(holdout.rows);
  const longRun = generateReturns(report.model, { seed: seed + 1, paths: 1, days: 5_000, start: "long-run" })[0]!;
  const outOfSample = {
    holdoutSeed: seed + 10_000,
    holdoutDays: holdout.rows.length,
    correlationGap: correlationGap(holdoutFacts.correlation, report.generatedCorrelation),
    holdoutKurtosis: holdoutFacts.kurtosis,
    ...varExceedance(longRun, holdout.rows),
  };
  const checks = {
    training: report.training,
    generated: report.generated,
    correlationGap: report.correlationGap,
    outOfSample,
  };
  process.stderr.write(
    `[scenarios] generated ${report.generatedDays} days: min kurtosis ${report.generated.minKurtosis.toFixed(2)} (training ${report.training.minKurtosis.toFixed(2)}), |r| autocorrelation lags 1-10 min ${report.generated.minAbsAutocorrelation.toFixed(3)} mean ${report.generated.meanAbsAutocorrelation.toFixed(3)}, max |r autocorrelation| ${report.generated.maxAbsRawAutocorrelation.toFixed(3)}, correlation gap ${report.correlationGap.toFixed(3)} (held out ${outOfSample.correlationGap.toFixed(3)}), 99 % VaR exceedance on held out ${(outOfSample.exceedance * 100).toFixed(2)} %\n`,
  );
  const set = buildScenarioSet(report.model, { name, horizonDays: horizon, paths, seed: seed + 2, trainedOn: panel.source, checks });
  mkdirSync(out, { recursive: true });
  const file = writeScenarioSet(set, out);
  process.stderr.write(`[scenarios] ${set.scenarios.length} scenarios of ${paths} paths in ${file}\n`);
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({ name, file, model: set.model.kind, dof: set.model.dof, trainingDays: panel.rows.length, checks, scenarios: set.scenarios.map((s) => s.name), simulateMs: simMs, fitMs: report.fitMs, wallMs: Math.round(performance.now() - wall0), cpuMs: Math.round((cpu.user + cpu.system) / 1000) })}\n`,
  );
}

const [command, target, ...rest] = process.argv.slice(2);
try {
  if (command === "train") train([target ?? "", ...rest].filter((a) => a !== ""));
  else if (command === "request" && target) process.stdout.write(`${JSON.stringify(stressRequestOf(readScenarioSet(target)))}\n`);
  else {
    process.stderr.write(usage);
    process.exit(2);
  }
} catch (e) {
  process.stderr.write(`research-scenarios: ${errorMessage(e)}\n`);
  process.exit(1);
}
