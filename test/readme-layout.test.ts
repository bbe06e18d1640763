import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import t from "tap";
import { repoRoot } from "../infra/local/index.ts";

const readme = readFileSync(`${repoRoot}README.md`, "utf8");

/** The fenced block of the "## Repository layout" section: one entry a line, sub-folders indented. */
function layoutBlock(): string[] {
  const m = /\n## Repository layout\n[\s\S]*?```\n([\s\S]*?)```/.exec(readme);
  if (!m?.[1]) throw new Error('README has no code block in a "## Repository layout" section');
  return m[1].split("\n");
}

/**
 * The paths the block names: a top-level entry starts a line (`actors/`, `nats.conf`); indented lines name
 * sub-folders of the last top-level folder, several to a line (`  order/  risk-book/`). Prose after an entry
 * (two spaces or more) is ignored.
 */
function namedPaths(lines: string[]): string[] {
  const paths: string[] = [];
  let parent = "";
  for (const line of lines) {
    const top = /^([A-Za-z0-9_.-]+\/?)(\s{2,}|$)/.exec(line);
    if (top?.[1]) {
      paths.push(top[1]);
      if (top[1].endsWith("/")) parent = top[1];
      continue;
    }
    const sub = /^ {2}((?:[a-z0-9-]+\/ +)*[a-z0-9-]+\/)(\s{3,}|$)/.exec(line);
    if (sub?.[1] && parent) for (const name of sub[1].split(/ +/)) paths.push(parent + name);
  }
  return paths;
}

/** Folders git tracks at the top and directly under actors/ (what a reader of the layout expects to find). */
function trackedFolders(): { top: string[]; actors: string[] } {
  const files = execFileSync("git", ["ls-files"], { cwd: repoRoot, encoding: "utf8" }).split("\n").filter(Boolean);
  const top = new Set<string>();
  const actors = new Set<string>();
  for (const f of files) {
    const parts = f.split("/");
    if (parts.length > 1 && !parts[0]?.startsWith(".")) top.add(`${parts[0]}/`);
    if (parts[0] === "actors" && parts.length > 2) actors.add(`actors/${parts[1]}/`);
  }
  return { top: [...top].sort(), actors: [...actors].sort() };
}

t.test("every path the README's layout names exists", async (t) => {
  const named = namedPaths(layoutBlock());
  t.ok(named.length > 5, "the layout names the project's folders");
  for (const p of named) {
    const full = `${repoRoot}${p}`;
    t.ok(existsSync(full) && (p.endsWith("/") ? statSync(full).isDirectory() : statSync(full).isFile()), `${p} exists`);
  }
});

t.test("the README's layout names every top-level folder and every actor folder", async (t) => {
  const named = new Set(namedPaths(layoutBlock()));
  const { top, actors } = trackedFolders();
  for (const f of [...top, ...actors]) t.ok(named.has(f), `${f} is in the layout section`);
});
