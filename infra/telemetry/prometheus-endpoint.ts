import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import type { CollectionResult, MetricData, ScopeMetrics } from "@opentelemetry/sdk-metrics";
import { placed, startMetrics, stopMetrics } from "./metrics.ts";

/** How a worker thread's figures are read: asked for at each scrape, answered from the thread's own provider. */
export type ThreadFigures = () => Promise<ScopeMetrics[]>;

const threads = new Set<ThreadFigures>();

/**
 * Adds a thread (a cell, the recorder) to what the node's endpoint serves; returns its removal. Threads measure
 * on their own providers and are asked at scrape time: nothing crosses threads between scrapes, and a thread
 * that ended simply stops being asked (Prometheus reads its counters' reset when its successor starts at 0).
 */
export function addThreadFigures(read: ThreadFigures): () => void {
  threads.add(read);
  return () => void threads.delete(read);
}

/**
 * One metric name once per scrape, whichever threads measured it: the Prometheus text format refuses a second
 * HELP/TYPE block of a name, so the data points of every thread (apart by their am.thread label) go under one.
 */
function mergedByName(scopes: ScopeMetrics[]): ScopeMetrics[] {
  const byScope = new Map<string, { scope: ScopeMetrics["scope"]; metrics: Map<string, MetricData> }>();
  for (const s of scopes) {
    let into = byScope.get(s.scope.name);
    if (!into) {
      into = { scope: s.scope, metrics: new Map() };
      byScope.set(s.scope.name, into);
    }
    for (const m of s.metrics) {
      const seen = into.metrics.get(m.descriptor.name);
      if (!seen) into.metrics.set(m.descriptor.name, m);
      else into.metrics.set(m.descriptor.name, { ...seen, dataPoints: [...seen.dataPoints, ...m.dataPoints] } as MetricData);
    }
  }
  return [...byScope.values()].map(({ scope, metrics }) => ({ scope, metrics: [...metrics.values()] }));
}

/** The node's Prometheus reader: its own thread's figures and those of every thread added. */
class NodeEndpoint extends PrometheusExporter {
  override async collect(options?: Parameters<PrometheusExporter["collect"]>[0]): Promise<CollectionResult> {
    const own = await super.collect(options);
    const errors = [...own.errors];
    const others = await Promise.all(
      [...threads].map((read) =>
        read().catch((e: unknown) => {
          errors.push(e);
          return [];
        }),
      ),
    );
    return {
      resourceMetrics: {
        resource: own.resourceMetrics.resource,
        scopeMetrics: mergedByName([...placed(own.resourceMetrics.scopeMetrics), ...others.flat()]),
      },
      errors,
    };
  }
}

export interface MetricsEndpoint {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves the node's figures at http://host:port/metrics (Prometheus text format) and starts measuring on this
 * thread. A port that cannot be bound is an error naming the setting, so start-up stops there.
 */
export async function serveMetrics(o: { host: string; port: number; node: string }): Promise<MetricsEndpoint> {
  const endpoint = new NodeEndpoint({ host: o.host, port: o.port, preventServerStart: true, withoutScopeInfo: true });
  startMetrics(endpoint, o.node);
  try {
    await endpoint.startServer();
  } catch (e) {
    await stopMetrics();
    throw new Error(`metrics endpoint ${o.host}:${o.port} (AM_METRICS_PORT, AM_METRICS_HOST) cannot listen: ${(e as Error).message}`);
  }
  return { url: `http://${o.host}:${o.port}/metrics`, stop: stopMetrics };
}
