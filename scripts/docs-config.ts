/**
 * Prints the Markdown table of every setting (environment variable, config-file key, default, description) from
 * infra/config/schema.ts. The README's configuration table is this output; test/readme.test.ts keeps them equal.
 */
import { fileURLToPath } from "node:url";
import { envName, settings } from "../infra/config/index.ts";

const cell = (text: string): string => text.replaceAll("|", "\\|");

export function configTable(): string {
  const rows = Object.entries(settings).map(([key, s]) => {
    const fallback = s.default === undefined ? "—" : `\`${String(s.default)}\``;
    return `| \`${envName(key)}\` | \`${key}\` | ${fallback} | ${cell(s.doc)} |`;
  });
  return ["| Variable | Key in `AM_CONFIG_FILE` | Default | Description |", "|---|---|---|---|", ...rows].join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${configTable()}\n`);
}
