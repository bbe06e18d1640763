import * as grpc from "@grpc/grpc-js";
import type { NatsConnection } from "@nats-io/transport-node";
import type { TestInfra } from "../infra/local/index.ts";
import { type Message as CodecMessage, decodeMessage, decodePayload, encodeMessage } from "../infra/nats/index.ts";
import { startTestServers, type Teardown } from "../test/testing.ts";
import { mintToken, type Role } from "./auth.ts";
import { type RunningGateway, startGateway } from "./index.ts";
import { loadProtos, type ServiceName } from "./protos.ts";
import type { GatewayOptions } from "./settings.ts";

/** The JWT secret the test gateway signs and checks tokens with. */
export const secret = "test-secret-of-at-least-32-bytes-long!!";

export interface Harness {
  infra: TestInfra;
  nc: NatsConnection;
  gateway: RunningGateway;
  client(name: ServiceName | "Health"): grpc.Client;
  token(role: Role, subject?: string): Promise<string>;
  meta(token: string): grpc.Metadata;
  /** A fake actor: answers requests on `subject` with what `answer` returns (a Reply body). */
  respond(
    subject: string,
    answer: (m: CodecMessage) => { ok: boolean; result?: unknown; error?: { code: string; message: string } } | undefined,
  ): void;
}

/** A real nats-server, the gateway on a free port and gRPC clients of every service; `t.teardown` stops them all. */
export async function startHarness(t: Teardown, options: Partial<GatewayOptions> = {}): Promise<Harness> {
  const { infra, nc } = await startTestServers(t);
  const gateway = await startGateway({ nc, port: 0, jwtSecret: secret, ...options });
  const protos = loadProtos();
  const clients: grpc.Client[] = [];
  t.teardown(async () => {
    for (const c of clients) c.close();
    await gateway.stop();
  });
  return {
    infra,
    nc,
    gateway,
    client(name) {
      const Ctor = protos.client(name);
      const c = new Ctor(`127.0.0.1:${gateway.port}`, grpc.credentials.createInsecure());
      clients.push(c);
      return c;
    },
    token: (role, subject = "alice") => mintToken(secret, { subject, role, ttlS: 3600 }),
    meta(token) {
      const m = new grpc.Metadata();
      m.set("authorization", `Bearer ${token}`);
      return m;
    },
    respond(subject, answer) {
      nc.subscribe(subject, {
        callback: (_e, msg) => {
          const m = msg.headers?.get("am-type")
            ? decodeMessage(msg.data, msg.headers, false).message
            : { type: "(admin)", ...(decodePayload(msg.data) as object) };
          const body = answer(m);
          if (!body) return; // silent actor: the caller's deadline runs out
          const { data, headers } = encodeMessage({ type: "Reply", ...body });
          msg.respond(data, { headers });
        },
      });
    },
  };
}

/** Promisified unary call: resolves the response or rejects with the ServiceError. */
export function call<T = Record<string, unknown>>(
  client: grpc.Client,
  method: string,
  req: unknown,
  meta: grpc.Metadata,
  deadlineMs = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = (
      client as unknown as Record<
        string,
        (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: T) => void) => void
      >
    )[method]!;
    fn.call(client, req, meta, { deadline: Date.now() + deadlineMs }, (e, v) => (e ? reject(e) : resolve(v)));
  });
}

/** The status of a call that must fail. */
export async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error("the call succeeded but should have failed");
}

/** Opens a server stream by method name. */
export function openStream<T = Record<string, unknown>>(
  client: grpc.Client,
  method: string,
  req: unknown,
  meta: grpc.Metadata,
): grpc.ClientReadableStream<T> {
  const fn = (client as unknown as Record<string, (r: unknown, m: grpc.Metadata) => grpc.ClientReadableStream<T>>)[method]!;
  return fn.call(client, req, meta);
}
