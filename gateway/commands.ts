import { randomUUID } from "node:crypto";
import { status as Status } from "@grpc/grpc-js";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { errorMessage, Reply } from "../actors/contract/index.ts";
import { decodeMessage, decodePayload, encodeMessage, type Message } from "../infra/nats/index.ts";
import { endSpan, requestTraceparent, startRequestSpan } from "../infra/telemetry/trace.ts";
import { NoResponders, ReplyInbox, RequestTimeout } from "../infra/nats/reply-inbox.ts";
import { actorRefusal, GatewayError, unavailable } from "./errors.ts";

/**
 * Request/reply to actors (am.cmd.<kind>.<id>) and to the node admin API (am.admin.<verb>). The call's remaining
 * deadline is the NATS request timeout, so an actor that does not answer in time is DEADLINE_EXCEEDED.
 */
export class CommandBus {
  private readonly replies: ReplyInbox;

  constructor(
    private readonly nc: NatsConnection,
    /** timeout of a call that carries no deadline */
    private readonly defaultTimeoutMs: number,
  ) {
    this.replies = new ReplyInbox(nc);
  }

  /** Fails the calls still waiting for an answer and drops the reply subscription (the gateway is stopping). */
  close(): void {
    this.replies.close();
  }

  /** Sends a codec message and returns the Reply's result; ok:false becomes the mapped gRPC status. */
  async command(subject: string, message: Message, remainingMs: number, correlationId: string = randomUUID()): Promise<unknown> {
    // each command starts its trace here: what the actors decide on it continues this context
    const span = startRequestSpan(`gateway ${message.type}`, { "am.subject": subject, "am.message": message.type });
    const { data, headers } = encodeMessage(message, { correlationId, traceparent: requestTraceparent(span) });
    try {
      const result = await this.exchange(subject, data, headers, remainingMs);
      endSpan(span);
      return result;
    } catch (e) {
      endSpan(span, e instanceof Error ? e : new Error(errorMessage(e)));
      throw e;
    }
  }

  /**
   * Admin API (supervisors/node/actor-node.ts): codec messages AdminActorRequest {kind, id},
   * AdminQuarantineRequest {kind, id, reason}, AdminDeployRequest {kind, id, config} (verb deploy),
   * AdminListRequest {kind?} (verb list) and AdminTreeRequest {}, validated by the node; Reply back.
   */
  async admin(subject: string, body: Record<string, unknown>, remainingMs: number): Promise<unknown> {
    return this.command(subject, adminMessage(subject, body), remainingMs);
  }

  /**
   * An admin verb every node answers (tree, list): the Replies of all nodes, gathered until none has come for
   * `stallMs` or the deadline is near. A node that refuses is left out; no node at all is UNAVAILABLE.
   */
  async gather(subject: string, body: Record<string, unknown>, remainingMs: number, stallMs = 150): Promise<unknown[]> {
    const timeout = Number.isFinite(remainingMs) ? Math.floor(remainingMs) : this.defaultTimeoutMs;
    if (timeout <= 0) throw new GatewayError(Status.DEADLINE_EXCEEDED, `deadline passed before ${subject} was asked`);
    const { data, headers } = encodeMessage(adminMessage(subject, body));
    const results: unknown[] = [];
    let answered = 0;
    try {
      // leave a little of the deadline for the answer to travel back to the caller
      const replies = await this.nc.requestMany(subject, data, {
        headers,
        strategy: "stall",
        stall: stallMs,
        maxWait: Math.max(1, Math.min(timeout - 20, 2_000)),
      });
      for await (const m of replies) {
        answered++;
        try {
          const reply = Reply.schema.safeParse(decodeMessage(m.data, m.headers, false).message);
          if (reply.success && reply.data.ok) results.push(reply.data.result);
        } catch {
          // one node's undecodable answer does not hide the others'
        }
      }
    } catch (e) {
      if (!(e as { isNoResponders?: () => boolean }).isNoResponders?.())
        throw unavailable(`request to ${subject} failed: ${errorMessage(e)}`);
    }
    if (answered === 0) throw unavailable(`no node answers on ${subject}`);
    return results;
  }

  private async exchange(
    subject: string,
    data: Uint8Array,
    headers: ReturnType<typeof encodeMessage>["headers"] | undefined,
    remainingMs: number,
  ): Promise<unknown> {
    const timeout = Number.isFinite(remainingMs) ? Math.floor(remainingMs) : this.defaultTimeoutMs;
    if (timeout <= 0) throw new GatewayError(Status.DEADLINE_EXCEEDED, `deadline passed before ${subject} was asked`);
    let msg: Msg;
    try {
      msg = await this.replies.request(subject, data, headers, timeout);
    } catch (e) {
      if (e instanceof NoResponders) throw unavailable(`no actor answers on ${subject} (no responders)`);
      if (e instanceof RequestTimeout) throw new GatewayError(Status.DEADLINE_EXCEEDED, `${subject} did not answer within ${timeout} ms`);
      throw unavailable(`request to ${subject} failed: ${errorMessage(e)}`);
    }
    let body: unknown;
    try {
      body = msg.headers?.get("am-type") ? decodeMessage(msg.data, msg.headers, false).message : decodePayload(msg.data);
    } catch (e) {
      throw new GatewayError(Status.INTERNAL, `${subject} answered with an undecodable reply: ${errorMessage(e)}`);
    }
    const reply = Reply.schema.safeParse(body);
    if (!reply.success) throw new GatewayError(Status.INTERNAL, `${subject} answered with something that is not a Reply`);
    if (!reply.data.ok) {
      const error = reply.data.error ?? { code: "refused", message: "no reason given" };
      throw actorRefusal(subject, error.code, error.message);
    }
    return reply.data.result;
  }
}

/** The codec message of an admin verb, by the subject's verb and the body's fields. */
function adminMessage(subject: string, body: Record<string, unknown>): Message {
  const { kind, id, reason, config } = body;
  if (subject.endsWith(".list")) return { type: "AdminListRequest", ...(kind ? { kind } : {}) };
  if (subject.endsWith(".deploy")) return { type: "AdminDeployRequest", kind, id, config };
  if (subject.endsWith(".quarantine") && "reason" in body) return { type: "AdminQuarantineRequest", kind, id, reason };
  if ("kind" in body) return { type: "AdminActorRequest", kind, id };
  return { type: "AdminTreeRequest" };
}
