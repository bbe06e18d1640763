import type { NatsConnection, Subscription } from "@nats-io/transport-node";

/** One endpoint's figures as the micro protocol's STATS reports them (times in nanoseconds). */
export interface EndpointFigures {
  num_requests: number;
  num_errors: number;
  last_error: string;
  processing_time: number;
  average_processing_time: number;
}

/** Counts an endpoint's answered requests, its errors and the time spent answering them. */
export class EndpointStats {
  private readonly f: EndpointFigures = { num_requests: 0, num_errors: 0, last_error: "", processing_time: 0, average_processing_time: 0 };

  /** Runs one request's handling and counts it, with its error if it throws (which it rethrows). */
  async time<T>(handle: () => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    try {
      return await handle();
    } catch (e) {
      this.f.num_errors++;
      this.f.last_error = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      this.f.num_requests++;
      this.f.processing_time += Number(process.hrtime.bigint() - t0);
      this.f.average_processing_time = Math.round(this.f.processing_time / this.f.num_requests);
    }
  }

  figures(): EndpointFigures {
    return { ...this.f };
  }
}

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
  stats: () => ({ name: string; subject: string; queue_group?: string } & EndpointFigures)[],
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
      endpoints: stats(),
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
