import { createReadStream, createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { BAR_FACTORS } from "../../actors/domain/index.ts";
import { type DatasetRow, DatasetError, parseRowLine, rowLine, rowsHash } from "./dataset.ts";
import type { LabelRule } from "./labels.ts";
import type { AltFeatureSpec } from "./alt-features.ts";

export const ROWS_FILE = "rows.jsonl";
export const MANIFEST_FILE = "manifest.json";

/** What a dataset is, written beside its rows: every model names the data it learned from by this. */
export interface DatasetManifest {
  dataset: string;
  rowsFile: string;
  format: "jsonl";
  rows: number;
  /** sha256 (hex) of the rows file's bytes */
  sha256: string;
  instruments: string[];
  /** bars whose open time is in [fromUs, toUs) */
  range: { fromUs: number; toUs: number; from: string; to: string };
  barType: string;
  source: { kind: "questdb"; url: string } | { kind: "simulator"; seed: number };
  featureSet: { name: string; version: number; features: string[] };
  label: LabelRule;
  /** alternative data features joined as of each row's t0 (absent when none) */
  alt?: AltFeatureSpec[];
  columns: string[];
}

const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString();

/** Writes rows.jsonl and manifest.json into `dir` (created if absent); returns the manifest. */
export async function writeDataset(
  dir: string,
  rows: readonly DatasetRow[],
  about: Pick<DatasetManifest, "dataset" | "instruments" | "barType" | "source" | "label"> & {
    fromUs: number;
    toUs: number;
    alt?: AltFeatureSpec[];
  },
): Promise<DatasetManifest> {
  mkdirSync(dir, { recursive: true });
  const out = createWriteStream(join(dir, ROWS_FILE));
  const lines: string[] = [];
  for (const r of rows) {
    const line = rowLine(r);
    lines.push(line);
    if (!out.write(line)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  const manifest: DatasetManifest = {
    dataset: about.dataset,
    rowsFile: ROWS_FILE,
    format: "jsonl",
    rows: rows.length,
    sha256: rowsHash(lines),
    instruments: about.instruments,
    range: { fromUs: about.fromUs, toUs: about.toUs, from: iso(about.fromUs), to: iso(about.toUs) },
    barType: about.barType,
    source: about.source,
    featureSet: { name: BAR_FACTORS.name, version: BAR_FACTORS.version, features: [...BAR_FACTORS.features] },
    label: about.label,
    ...(about.alt?.length ? { alt: about.alt } : {}),
    columns: [
      "instrument",
      "t0",
      "t1",
      ...BAR_FACTORS.features,
      "ret",
      ...(about.label.kind === "triple-barrier" ? ["label", "barrier"] : []),
      ...(about.alt ?? []).map((a) => a.name),
    ],
  };
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads a dataset back; rows whose bytes do not hash to the manifest's sha256 are refused. */
export async function readDataset(dir: string): Promise<{ manifest: DatasetManifest; rows: DatasetRow[] }> {
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), "utf8")) as DatasetManifest;
  if (manifest.featureSet?.name !== BAR_FACTORS.name || manifest.featureSet.version !== BAR_FACTORS.version)
    throw new DatasetError(
      `${join(dir, MANIFEST_FILE)}: feature set ${manifest.featureSet?.name} v${manifest.featureSet?.version}, this code computes ${BAR_FACTORS.name} v${BAR_FACTORS.version}`,
    );
  const lines: string[] = [];
  const input = createInterface({ input: createReadStream(join(dir, manifest.rowsFile)), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of input) lines.push(`${line}\n`);
  // the bytes first: a changed file is reported as changed, whatever its lines now hold
  const sha256 = rowsHash(lines);
  if (sha256 !== manifest.sha256)
    throw new DatasetError(`${join(dir, manifest.rowsFile)}: sha256 ${sha256} is not the manifest's ${manifest.sha256}: the rows changed`);
  const rows: DatasetRow[] = lines.map((line, i) => parseRowLine(line, i + 1));
  if (rows.length !== manifest.rows)
    throw new DatasetError(`${join(dir, manifest.rowsFile)}: ${rows.length} rows, the manifest says ${manifest.rows}`);
  return { manifest, rows };
}
