import type { Attributes, Counter, Histogram } from "@opentelemetry/api";
import { type IMetricReader, MeterProvider } from "@opentelemetry/sdk-metrics";

/**
 * Counters of the actor runtime, per actor kind and node. Off (the default) there are
 * no instruments at all: a host checks one variable per message, so measuring costs nothing until asked for.
 */
export interface ActorMetrics {
  handled: Counter;
  deadLettered: Counter;
  restarts: Counter;
  refusedBusy: Counter;
  /** decision time of one message, in microseconds */
  handlingUs: Histogram;
  /** the attributes of one kind's figures on this node (one object per kind, made once) */
  attributesOf(kind: string): Attributes;
}

let provider: MeterProvider | undefined;
export let actorMetrics: ActorMetrics | undefined;

/** Starts measuring in this process (or thread), read by `reader`; `node` names where the figures come from. */
export function startMetrics(reader: IMetricReader, node: string): void {
  void provider?.shutdown();
  provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter("alphamind.runtime");
  const byKind = new Map<string, Attributes>();
  actorMetrics = {
    handled: meter.createCounter("am.actor.messages", { description: "Messages an actor handled" }),
    deadLettered: meter.createCounter("am.actor.dead_letters", { description: "Messages an actor dead-lettered" }),
    restarts: meter.createCounter("am.actor.restarts", { description: "Restarts of an actor after a failure" }),
    refusedBusy: meter.createCounter("am.actor.mailbox_full", { description: "Messages refused by a full mailbox" }),
    handlingUs: meter.createHistogram("am.actor.handling", { unit: "us", description: "Time to decide on one message" }),
    attributesOf(kind) {
      let a = byKind.get(kind);
      if (!a) {
        a = { "am.kind": kind, "am.node": node };
        byKind.set(kind, a);
      }
      return a;
    },
  };
}

/** Stops measuring; what was not read yet is lost. */
export async function stopMetrics(): Promise<void> {
  const p = provider;
  provider = undefined;
  actorMetrics = undefined;
  await p?.shutdown();
}
