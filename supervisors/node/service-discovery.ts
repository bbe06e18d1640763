import type { NatsConnection, Subscription } from "@nats-io/transport-node";

/**
 * Makes the admin API discoverable as a NATS service: answers the micro protocol's PING, INFO and STATS requests
 * ($SRV.<verb>[.<name>[.<id>]]), so `nats micro ls` and other clients find it.
 */
export function advertiseService(
  nc: NatsConnection,
  s: {
    name: string;
    id: string;
    version: string;
    description: string;
    endpoints: { name: string; subject: string; queue_group?: string }[];
  },
  stats: () => { name: string; subject: string; num_requests: number; num_errors: number }[],
): Subscription[] {
  const started = new Date().toISOString();
  const base = { name: s.name, id: s.id, version: s.version, metadata: {} };
  const answers: Record<string, () => unknown> = {
    PING: () => ({ type: "io.nats.micro.v1.ping_response", ...base }),
    INFO: () => ({
      type: "io.nats.micro.v1.info_response",
      ...base,
      description: s.description,
      endpoints: s.endpoints.map((e) => ({ ...e, metadata: {} })),
    }),
    STATS: () => ({
      type: "io.nats.micro.v1.stats_response",
      ...base,
      started,
      endpoints: stats().map((e) => ({ ...e, processing_time: 0, average_processing_time: 0 })),
    }),
  };
  const subs: Subscription[] = [];
  for (const verb of Object.keys(answers)) {
    for (const subject of [`$SRV.${verb}`, `$SRV.${verb}.${s.name}`, `$SRV.${verb}.${s.name}.${s.id}`]) {
      subs.push(nc.subscribe(subject, { callback: (_e, m) => void m.respond(new TextEncoder().encode(JSON.stringify(answers[verb]!()))) }));
    }
  }
  return subs;
}
