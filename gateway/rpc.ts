import * as grpc from "@grpc/grpc-js";
import type { z } from "zod";
import { type AuthSettings, authenticate, type Principal, type Role, roleRank } from "./auth.ts";
import { GatewayError, permissionDenied } from "./errors.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { StreamSink } from "./stream-sink.ts";
import { parseRequest } from "./validation.ts";
import { errorMessage } from "../actors/contract/index.ts";

/** What a handler gets besides its validated request. */
export interface CallContext {
  principal: Principal;
  /** milliseconds left before the caller's deadline; Infinity without one */
  remainingMs(): number;
  /** wall clock in microseconds: the gateway stamps tsEvent/tsInit of the commands it creates */
  nowUs(): number;
}

export interface UnaryRpc<S extends z.ZodType = z.ZodType, Res = unknown> {
  role: Role;
  request: S;
  handle(req: z.output<S>, ctx: CallContext): Promise<Res>;
}

export interface StreamRpc<S extends z.ZodType = z.ZodType, Res = unknown> {
  role: Role;
  request: S;
  /** Subscribes and feeds the sink until the call ends (the sink's onEnd unsubscribes). */
  open(req: z.output<S>, ctx: CallContext, call: grpc.ServerWritableStream<unknown, Res>): StreamSink<Res>;
}

export const unary = <S extends z.ZodType, Res>(r: UnaryRpc<S, Res>): UnaryRpc<S, Res> => r;
export const serverStream = <S extends z.ZodType, Res>(r: StreamRpc<S, Res>): StreamRpc<S, Res> => r;

export type ServiceRpcs = Record<string, UnaryRpc | StreamRpc>;
const isStream = (r: UnaryRpc | StreamRpc): r is StreamRpc => "open" in r;

export interface Guard {
  auth: AuthSettings;
  limiter: RateLimiter;
  /** verified tokens, so that a busy client does not pay an HMAC per call; expiry is still checked each time */
  tokens: Map<string, { principal: Principal; expMs: number }>;
}

const MAX_CACHED_TOKENS = 10_000;
export const nowUs = (): number => Date.now() * 1000;

/** The principal of a token verified before and not yet expired, without a promise: the common case of a call. */
function cachedPrincipal(metadata: grpc.Metadata, guard: Guard): Principal | undefined {
  const header = metadata.get("authorization")[0];
  if (typeof header !== "string" || !header) return undefined;
  const hit = guard.tokens.get(header);
  return hit && hit.expMs > Date.now() ? hit.principal : undefined;
}

async function principalOf(metadata: grpc.Metadata, guard: Guard): Promise<Principal> {
  const cached = cachedPrincipal(metadata, guard);
  if (cached) return cached;
  const header = metadata.get("authorization")[0];
  const authorization = typeof header === "string" ? header : undefined;
  const principal = await authenticate(authorization, guard.auth);
  if (authorization) {
    if (guard.tokens.size >= MAX_CACHED_TOKENS) guard.tokens.clear();
    guard.tokens.set(authorization, { principal, expMs: expiryMs(authorization) });
  }
  return principal;
}

function expiryMs(authorization: string): number {
  try {
    const payload = JSON.parse(Buffer.from(authorization.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp?: number };
    return typeof payload.exp === "number" ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/** Role, then rate limit, of an authenticated principal; throws the status the caller gets. */
function authorize(method: string, role: Role, principal: Principal, guard: Guard): Principal {
  if (roleRank(principal.role) < roleRank(role)) {
    throw permissionDenied(`${method} needs role ${role} or higher; ${principal.subject} has ${principal.role}`);
  }
  const waitMs = guard.limiter.take(principal.subject);
  if (waitMs > 0) {
    const { ratePerSecond, burst } = guard.limiter.settings;
    const e = new GatewayError(
      grpc.status.RESOURCE_EXHAUSTED,
      `rate limit of ${ratePerSecond} requests/s (burst ${burst}) exceeded for ${principal.subject}; retry in ${waitMs} ms`,
    );
    (e as GatewayError & { retryMs?: number }).retryMs = waitMs;
    throw e;
  }
  return principal;
}

/** Authentication, role, rate limit: in that order, so an anonymous caller learns nothing about the request. */
async function admit(method: string, role: Role, metadata: grpc.Metadata, guard: Guard): Promise<Principal> {
  return authorize(method, role, await principalOf(metadata, guard), guard);
}

function toStatus(e: unknown): Partial<grpc.StatusObject> {
  if (e instanceof GatewayError) {
    const metadata = new grpc.Metadata();
    const retryMs = (e as GatewayError & { retryMs?: number }).retryMs;
    // grpc-retry-pushback-ms is the header gRPC clients read to delay a retry.
    if (retryMs !== undefined) metadata.set("grpc-retry-pushback-ms", String(retryMs));
    return { code: e.code, details: e.message, metadata };
  }
  return { code: grpc.status.INTERNAL, details: `gateway error: ${errorMessage(e)}` };
}

function contextOf(principal: Principal, call: { getDeadline(): grpc.Deadline }): CallContext {
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  return { principal, remainingMs: () => deadlineMs - Date.now(), nowUs };
}

/** Turns a table of RPC definitions into a grpc-js service implementation. */
export function implement(service: string, rpcs: ServiceRpcs, guard: Guard): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, rpc] of Object.entries(rpcs)) {
    const method = `${service}.${name}`;
    if (isStream(rpc)) {
      impl[name] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        admit(method, rpc.role, call.metadata, guard)
          .then((principal) => {
            const req = parseRequest(rpc.request, call.request);
            rpc.open(req, contextOf(principal, call), call);
          })
          .catch((e: unknown) => call.emit("error", toStatus(e)));
      };
    } else {
      impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const done = (res: unknown) => callback(null, res);
        const fail = (e: unknown) => callback(toStatus(e) as grpc.ServiceError);
        const run = (principal: Principal) => rpc.handle(parseRequest(rpc.request, call.request), contextOf(principal, call));
        // A known token is checked without a promise; a new one is verified (HMAC) asynchronously first.
        const known = cachedPrincipal(call.metadata, guard);
        if (!known) {
          admit(method, rpc.role, call.metadata, guard).then(run).then(done, fail);
          return;
        }
        try {
          run(authorize(method, rpc.role, known, guard)).then(done, fail);
        } catch (e) {
          fail(e);
        }
      };
    }
  }
  return impl;
}

/** The least role of every RPC, for the docs table and for tests. */
export function roleTable(services: Record<string, ServiceRpcs>): { method: string; role: Role }[] {
  return Object.entries(services).flatMap(([s, rpcs]) => Object.entries(rpcs).map(([m, r]) => ({ method: `${s}.${m}`, role: r.role })));
}
