/**
 * `npm run bench -- <name> [args]` runs scripts/bench/<name>.ts. Each benchmark prints progress to stderr and its
 * figures as one JSON object on the last line of stdout.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.includes(".test."))
  .map((f) => f.slice(0, -3));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join("|")}>\n`);
  process.exit(2);
}
process.argv.splice(2, 1);
await import(`./${name}.ts`);
