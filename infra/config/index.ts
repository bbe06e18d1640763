export { ConfigError, envName, loadConfig } from "./load.ts";
export { type Config, type SettingName, settings } from "./schema.ts";
export { resolveJwtSecret } from "./secrets.ts";
