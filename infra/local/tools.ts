import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Versions pinned in scripts/versions.env, shared with the set-up script. */
export function pinnedVersions(): { nats: string; questdb: string } {
  const text = readFileSync(`${repoRoot}scripts/versions.env`, "utf8");
  const get = (key: string): string => {
    const m = new RegExp(`^${key}=(\\S+)`, "m").exec(text);
    if (!m?.[1]) throw new Error(`scripts/versions.env lacks ${key}`);
    return m[1];
  };
  return { nats: get("NATS_SERVER_VERSION"), questdb: get("QUESTDB_VERSION") };
}

/** The per-user cache the set-up script fills (AM_CACHE_DIR, `~` expanded; default ~/.cache/alphamind). */
export const defaultCacheDir = (): string =>
  process.env.AM_CACHE_DIR?.replace(/^~/, process.env.HOME ?? "") ?? `${process.env.HOME}/.cache/alphamind`;

export interface LocalTools {
  natsServer: string;
  questdbJar: string;
  java: string;
}

/** Where the set-up script put the servers; a clear error when it has not run. */
export function localTools(cacheDir: string): LocalTools {
  const v = pinnedVersions();
  const natsServer = `${cacheDir}/bin/nats-server-${v.nats}`;
  const questdbJar = `${cacheDir}/questdb/questdb-${v.questdb}.jar`;
  const javaPath = `${cacheDir}/java-path`;
  for (const [what, path] of [
    ["nats-server", natsServer],
    ["QuestDB jar", questdbJar],
    ["Java path", javaPath],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${what} not found at ${path}: run \`npm run setup\` first`);
  }
  return { natsServer, questdbJar, java: readFileSync(javaPath, "utf8").trim() };
}
