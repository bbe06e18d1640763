import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { repoRoot } from "../local/tools.ts";
import type { Config } from "./schema.ts";

/**
 * The HS256 secret of bearer tokens: the configured one, or one generated on first use into <varDir>/jwt-secret
 * (mode 600), so a local platform works out of the box and tokens minted with scripts/mint-token.ts match it.
 */
export function resolveJwtSecret(config: Config): string {
  if (config.gatewayJwtSecret) return config.gatewayJwtSecret;
  const dir = isAbsolute(config.varDir) ? config.varDir : join(repoRoot, config.varDir);
  const file = join(dir, "jwt-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32).toString("hex");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
