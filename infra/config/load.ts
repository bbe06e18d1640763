import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { type Config, type SettingName, settings } from "./schema.ts";
import { errorMessage } from "../../actors/contract/index.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`configuration ${key}: ${reason}`);
  }
}

/** `natsPort` → `AM_NATS_PORT`. */
export const envName = (name: string): string => `AM_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

const names = Object.keys(settings) as SettingName[];
const byEnv = new Map(names.map((n) => [envName(n), n]));

/**
 * Reads the configuration from an optional JSON file (`AM_CONFIG_FILE`) and then `AM_*` environment variables,
 * the latter winning. An unknown key or a bad value throws a ConfigError naming the key, so start-up stops there.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  const file = env.AM_CONFIG_FILE;
  if (file) {
    if (!existsSync(file)) throw new ConfigError("AM_CONFIG_FILE", `file ${file} does not exist`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new ConfigError("AM_CONFIG_FILE", `${file} is not valid JSON (${errorMessage(e)})`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError("AM_CONFIG_FILE", `${file} must hold a JSON object`);
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (!(k in settings)) throw new ConfigError(k, `unknown key in ${file}; known keys: ${names.join(", ")}`);
      raw[k] = v;
      source[k] = `${k} (in ${file})`;
    }
  }
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith("AM_") || k === "AM_CONFIG_FILE" || v === undefined) continue;
    const name = byEnv.get(k);
    if (!name) throw new ConfigError(k, `unknown setting; known: ${[...byEnv.keys()].join(", ")}`);
    raw[name] = v;
    source[name] = k;
  }
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const s = settings[name];
    const value = raw[name] ?? s.default;
    const result = s.schema.safeParse(value);
    if (!result.success) {
      throw new ConfigError(source[name] ?? name, `${JSON.stringify(value)} is invalid: ${result.error.issues[0]?.message}`);
    }
    out[name] = result.data;
  }
  const config = out as Config;
  config.cacheDir = config.cacheDir.replace(/^~(?=\/|$)/, homedir());
  config.nodeId ??= `${hostname()
    .replace(/[^A-Za-z0-9_-]/g, "-")
    .slice(0, 40)}-${process.pid}`;
  checkWritableDir(config.varDir, source.varDir ?? "varDir");
  checkTlsPair(config, source, "gatewayTlsCert", "gatewayTlsKey");
  checkTlsPair(config, source, "natsTlsCert", "natsTlsKey");
  checkTlsPair(config, source, "consoleTlsCert", "consoleTlsKey");
  if (config.natsTlsCa) checkReadable(config.natsTlsCa, source.natsTlsCa ?? envName("natsTlsCa"));
  return config;
}

type TlsFileSetting = "gatewayTlsCert" | "gatewayTlsKey" | "natsTlsCert" | "natsTlsKey" | "consoleTlsCert" | "consoleTlsKey";

/** A TLS certificate and its key come together, and both are readable files. */
function checkTlsPair(config: Config, source: Record<string, string>, certName: TlsFileSetting, keyName: TlsFileSetting): void {
  const cert = source[certName] ?? envName(certName);
  const key = source[keyName] ?? envName(keyName);
  if (Boolean(config[certName]) !== Boolean(config[keyName])) {
    throw new ConfigError(config[certName] ? key : cert, "TLS needs both a certificate and a key file");
  }
  for (const [name, path] of [
    [cert, config[certName]],
    [key, config[keyName]],
  ] as const) {
    if (path) checkReadable(path, name);
  }
}

function checkReadable(path: string, name: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new ConfigError(name, `${path} is not a readable file`);
  }
}

function checkWritableDir(path: string, key: string): void {
  if (!existsSync(path)) return; // created at start
  try {
    if (!statSync(path).isDirectory()) throw new ConfigError(key, `${path} is not a directory`);
    accessSync(path, constants.W_OK | constants.R_OK);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(key, `${path} is not readable and writable (${errorMessage(e)})`);
  }
}
