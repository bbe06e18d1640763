import { readFileSync } from "node:fs";
import t from "tap";
import { envName, settings } from "../infra/config/index.ts";
import { pinnedVersions, repoRoot } from "../infra/local/index.ts";
import { configTable } from "../scripts/docs-config.ts";

const readme = readFileSync(`${repoRoot}README.md`, "utf8");

/** The text of a `## title` section, up to the next `## ` heading. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const rest = readme.slice(start + title.length + 5);
  const end = rest.search(/\n## /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** Commands of the fenced code blocks in `text`: non-empty lines that are not comments. */
function codeBlocks(text: string): string[][] {
  return [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) =>
    (m[1] ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#")),
  );
}

t.test("the configuration table lists every setting by its environment variable", async (t) => {
  const table = section("Configuration");
  for (const key of Object.keys(settings)) t.match(table, `| \`${envName(key)}\` |`, envName(key));
});

t.test("the configuration table is the one scripts/docs-config.ts generates", async (t) => {
  const m = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme);
  t.ok(m, "the table sits between the config-table markers");
  t.equal(m?.[1], configTable(), "regenerate with: node --import tsx scripts/docs-config.ts");
});

t.test("the quick start has exactly two commands: run, then test", async (t) => {
  const blocks = codeBlocks(section("Quick start"));
  t.equal(blocks.length, 1, "one code block");
  t.same(blocks[0], ["bash scripts/dev.sh", "bash scripts/test.sh"]);
});

t.test("CI runs exactly the README's test command", async (t) => {
  const testCommand = codeBlocks(section("Quick start"))[0]?.[1];
  const ci = readFileSync(`${repoRoot}.ci/run`, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#") && !l.startsWith("set ") && !l.startsWith("cd "));
  t.ok(testCommand, "the quick start names a test command");
  t.equal(ci.filter((l) => l.includes(String(testCommand))).length, 1, "CI runs the README's test command once");
  t.notOk(
    ci.some((l) => /\bnpm (run )?test\b|\bnpx tap\b/.test(l)),
    "and no other test runner",
  );
});

t.test("the pinned versions in the README are those of scripts/versions.env", async (t) => {
  const v = pinnedVersions();
  const pinned = section("Pinned versions");
  t.match(pinned, `| nats-server | ${v.nats} |`);
  t.match(pinned, `| QuestDB | ${v.questdb} |`);
});
