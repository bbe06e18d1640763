import type * as grpc from "@grpc/grpc-js";

export const ServingStatus = {
  Unknown: "UNKNOWN",
  Serving: "SERVING",
  NotServing: "NOT_SERVING",
  ServiceUnknown: "SERVICE_UNKNOWN",
} as const;
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

/**
 * grpc.health.v1.Health: "" is the whole server, the other names are its services. Unauthenticated, as load
 * balancers and orchestrators expect. Status follows the NATS connection: without NATS no RPC can be served.
 */
export class HealthService {
  private readonly watchers = new Set<grpc.ServerWritableStream<{ service: string }, { status: ServingStatus }>>();
  private serving: boolean = true;

  constructor(private readonly services: readonly string[]) {}

  set(serving: boolean): void {
    if (serving === this.serving) return;
    this.serving = serving;
    for (const w of this.watchers) w.write({ status: this.statusOf(w.request.service) });
  }

  statusOf(service: string): ServingStatus {
    if (service !== "" && !this.services.includes(service)) return ServingStatus.ServiceUnknown;
    return this.serving ? ServingStatus.Serving : ServingStatus.NotServing;
  }

  implementation(): grpc.UntypedServiceImplementation {
    return {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const status = this.statusOf(call.request.service);
        if (status === ServingStatus.ServiceUnknown) cb({ code: 5, details: `unknown service ${call.request.service}` });
        else cb(null, { status });
      },
      Watch: (call: grpc.ServerWritableStream<{ service: string }, { status: ServingStatus }>) => {
        this.watchers.add(call);
        call.on("cancelled", () => this.watchers.delete(call));
        call.on("close", () => this.watchers.delete(call));
        call.write({ status: this.statusOf(call.request.service) });
      },
    };
  }

  close(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }
}
