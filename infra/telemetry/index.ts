export { createLogger, type Logger, type LogLevel } from "./log.ts";
