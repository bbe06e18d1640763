import { randomBytes } from "node:crypto";
import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, trace, TraceFlags } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";

/**
 * W3C trace context through the runtime. Off (the default), no span object is ever made: an incoming
 * `traceparent` passes through unchanged to what the actor emits, so one order keeps one trace id on the wire
 * even through processes that record nothing. On, each handled message is a span whose parent is the incoming
 * context, and what the actor emits carries the span's own context.
 */

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

let tracer: Tracer | undefined;
let provider: BasicTracerProvider | undefined;

export interface TracingOptions {
  exporter: SpanExporter;
  /** export each span as it ends (tests) rather than in batches */
  immediate?: boolean;
  service?: string;
  /** the node the spans come from (the resource's service.instance.id) */
  node?: string;
  /**
   * share of new traces recorded (default 1). A trace that arrives with a context keeps its sender's decision,
   * so one order is recorded whole or not at all.
   */
  sampleRatio?: number;
}

/** Starts recording spans in this process (or thread) to `exporter`; replaces an earlier configuration. */
export function startTracing(options: TracingOptions): void {
  const processor = options.immediate ? new SimpleSpanProcessor(options.exporter) : new BatchSpanProcessor(options.exporter);
  void provider?.shutdown();
  provider = new BasicTracerProvider({
    spanProcessors: [processor],
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    resource: resourceFromAttributes({
      "service.name": options.service ?? "alphamind",
      ...(options.node ? { "service.instance.id": options.node } : {}),
    }),
  });
  tracer = provider.getTracer(options.service ?? "alphamind");
}

/** Exports what is buffered and stops recording. */
export async function stopTracing(): Promise<void> {
  const p = provider;
  provider = undefined;
  tracer = undefined;
  await p?.shutdown();
}

export const tracingOn = (): boolean => tracer !== undefined;

/** The `traceparent` of a span, as it goes into a message header. */
export function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${c.traceFlags & TraceFlags.SAMPLED ? "01" : "00"}`;
}

function parentContext(traceparent: string | undefined) {
  const m = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16), isRemote: true });
}

/** A message an actor handles: kind, id and message type; a child of `traceparent` when it names a valid one. */
export function startHandlingSpan(kind: string, id: string, messageType: string, traceparent: string | undefined): Span | undefined {
  if (!tracer) return undefined;
  return tracer.startSpan(
    `${kind} ${messageType}`,
    { kind: SpanKind.CONSUMER, attributes: { "am.kind": kind, "am.id": id, "am.message": messageType } },
    parentContext(traceparent),
  );
}

/** The root of a request's trace where it enters the platform (a gRPC call at the gateway). */
export function startRequestSpan(name: string, attributes: Record<string, string>): Span | undefined {
  return tracer?.startSpan(name, { kind: SpanKind.SERVER, attributes }, ROOT_CONTEXT);
}

/** Ends a span, marked failed with `error` when given. */
export function endSpan(span: Span | undefined, error?: Error): void {
  if (!span) return;
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.end();
}

/**
 * The context a request sends on: its span's, or with tracing off a fresh unsampled one, so that the messages
 * of one request still share a trace id that logs and other processes can follow.
 */
export function requestTraceparent(span: Span | undefined): string {
  return span ? traceparentOf(span) : `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`;
}
