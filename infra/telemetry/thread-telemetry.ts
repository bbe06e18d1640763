import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { MetricReader, type ScopeMetrics } from "@opentelemetry/sdk-metrics";
import { placed, startMetrics, stopMetrics } from "./metrics.ts";
import { startTracing, stopTracing } from "./trace.ts";

/** What a thread (the node's main thread, a cell, the recorder) is told to measure and export. */
export interface TelemetrySettings {
  /** figures are collected (the node serves a Prometheus endpoint) */
  metrics: boolean;
  /** spans are exported to this OTLP/HTTP traces endpoint; none recorded when absent */
  otlpTracesUrl?: string | undefined;
  traceSampleRatio: number;
}

/** The telemetry settings of a node's configuration. */
export function telemetryOf(config: {
  metricsPort: number;
  otlpTracesUrl?: string | undefined;
  traceSampleRatio: number;
}): TelemetrySettings {
  return {
    metrics: config.metricsPort > 0,
    ...(config.otlpTracesUrl ? { otlpTracesUrl: config.otlpTracesUrl } : {}),
    traceSampleRatio: config.traceSampleRatio,
  };
}

/** Figures kept until the node asks for them (a scrape of its endpoint): no timer, no export of its own. */
class ReadByNode extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

let reader: ReadByNode | undefined;

/** Starts spans exported by OTLP/HTTP, when configured; the same in every thread. */
export function startTraceExport(s: TelemetrySettings, node: string): void {
  if (s.otlpTracesUrl) startTracing({ exporter: new OTLPTraceExporter({ url: s.otlpTracesUrl }), node, sampleRatio: s.traceSampleRatio });
}

/** Starts a worker thread's telemetry: its figures, read by the node through collectThreadFigures, and its spans. */
export function startThreadTelemetry(s: TelemetrySettings, node: string, thread: string): void {
  if (s.metrics) {
    reader = new ReadByNode();
    startMetrics(reader, node, thread);
  }
  startTraceExport(s, node);
}

/** This thread's figures as the node's endpoint merges them; none while metrics are off. */
export async function collectThreadFigures(): Promise<ScopeMetrics[]> {
  if (!reader) return [];
  const { resourceMetrics } = await reader.collect();
  return placed(resourceMetrics.scopeMetrics);
}

/** Exports the spans still buffered and stops measuring, before the thread ends. */
export async function stopThreadTelemetry(): Promise<void> {
  reader = undefined;
  await Promise.all([stopMetrics(), stopTracing()]);
}
