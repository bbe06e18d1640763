import { isAbsolute, join } from "node:path";
import { joinAltFeatures, questdbAltEvents } from "./alt-features.ts";
import { questdbBars, simulatedBars } from "./bar-sources.ts";
import type { DatasetConfig } from "./dataset-config.ts";
import { buildRows, type DatasetProgress } from "./dataset.ts";
import { type DatasetManifest, writeDataset } from "./dataset-files.ts";
import { checkLabelRule } from "./labels.ts";

/** Builds the dataset a (parsed) config names, from QuestDB or the simulator, and writes it with its manifest. */
export async function buildDataset(
  config: DatasetConfig,
  o: { baseDir?: string; onProgress?: (p: DatasetProgress) => void } = {},
): Promise<{ dir: string; manifest: DatasetManifest }> {
  const rule = checkLabelRule(config.label);
  const range = { instruments: config.instruments, fromUs: config.from, toUs: config.to };
  const s = config.source;
  const bars =
    s.kind === "questdb"
      ? questdbBars(s.url, { ...range, barType: config.barType, pageSize: s.pageSize })
      : simulatedBars({ ...range, seed: s.seed });
  const barRows = await buildRows(bars, rule, o.onProgress);
  // events as far back as the widest window reaches before the first bar, and no later than the last
  const reach = Math.max(0, ...config.alt.map((a) => a.windowMs)) * 1000;
  const rows =
    s.kind === "questdb" && config.alt.length
      ? joinAltFeatures(barRows, await questdbAltEvents(s.url, { ...range, fromUs: range.fromUs - reach, specs: config.alt }), config.alt)
      : barRows;
  const dir = isAbsolute(config.out) ? config.out : join(o.baseDir ?? ".", config.out);
  const manifest = await writeDataset(dir, rows, {
    dataset: config.name,
    instruments: config.instruments,
    barType: config.barType,
    source: s.kind === "questdb" ? { kind: "questdb", url: s.url } : { kind: "simulator", seed: s.seed },
    label: rule,
    alt: config.alt,
    fromUs: config.from,
    toUs: config.to,
  });
  return { dir, manifest };
}
