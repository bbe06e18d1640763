/** The supervisor admin console: a live web page over WebSocket, served by the node process. */
export { ConsoleAuthError, AuthFailure, type ConsoleAuth, hasRole, type Principal, Role, signToken, verifyToken } from "./auth.ts";
export { type ConsoleConfig, consoleOptionsFrom } from "./config.ts";
export { probeHealth } from "./health.ts";
export type { Health } from "./protocol.ts";
export { CONTROL_ROLE, type ConsoleOptions, type RunningConsole, startConsole } from "./server.ts";
