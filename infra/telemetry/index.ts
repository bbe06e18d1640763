export { createLogger, type Logger, type LogLevel } from "./log.ts";
export { addThreadFigures, type MetricsEndpoint, serveMetrics, type ThreadFigures } from "./prometheus-endpoint.ts";
export {
  collectThreadFigures,
  startThreadTelemetry,
  startTraceExport,
  stopThreadTelemetry,
  type TelemetrySettings,
  telemetryOf,
} from "./thread-telemetry.ts";
export { observeGauge } from "./metrics.ts";
