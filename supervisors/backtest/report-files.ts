import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { reportPage } from "./report-page.ts";
import type { BacktestResult } from "./runner.ts";

/** Writes report.json and report.html into the run's folder; returns their paths. */
export async function writeReportFiles(dir: string, r: BacktestResult): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, "report.json");
  const html = join(dir, "report.html");
  await writeFile(json, `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(html, reportPage(r));
  return { json, html };
}
