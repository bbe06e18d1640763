import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage, Reply, subjects } from "../../actors/contract/index.ts";
import { decodeAs, encodeMessage, type Message } from "../../infra/nats/codec.ts";
import { ModelRefused, ModelRegistry } from "../../infra/models/index.ts";
import type { NodeTree } from "./protocol.ts";

/** A Reply of the admin API or of an actor, as the console passes it on. */
export interface ReplyBody {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

export const RelayError = { NoAnswer: "no-answer", Unreachable: "unreachable", Refused: "refused" } as const;

/** One node's answer to `am.admin.tree` (ActorNode.tree()). */

async function request(nc: NatsConnection, subject: string, message: Message, timeoutMs: number, what: string): Promise<ReplyBody> {
  const { data, headers } = encodeMessage(message);
  try {
    const r = await nc.request(subject, data, { headers, timeout: timeoutMs });
    const { type: _type, ...reply } = decodeAs(Reply, r.data, r.headers);
    return reply;
  } catch (e) {
    const text = errorMessage(e);
    const silent = /timeout|no responders|503/i.test(text) || (e as { code?: string }).code === "503";
    return {
      ok: false,
      error: silent
        ? { code: RelayError.NoAnswer, message: `no answer on ${subject} within ${timeoutMs} ms: ${what}` }
        : { code: RelayError.Unreachable, message: `${subject}: ${text}` },
    };
  }
}

/**
 * Every node answers `tree`; the answers are gathered until none has come for `stallMs` (or `maxWaitMs` passed),
 * so a cluster of any size costs one round trip plus the stall.
 */
export async function gatherTree(nc: NatsConnection, maxWaitMs = 800, stallMs = 150): Promise<NodeTree[]> {
  const { data, headers } = encodeMessage({ type: "AdminTreeRequest" });
  const trees: NodeTree[] = [];
  try {
    const replies = await nc.requestMany(subjects.admin("tree"), data, { headers, strategy: "stall", stall: stallMs, maxWait: maxWaitMs });
    for await (const m of replies) {
      try {
        const r = decodeAs(Reply, m.data, m.headers);
        if (r.ok && r.result && typeof r.result === "object") trees.push(r.result as NodeTree);
      } catch {
        // a reply that does not decode is one node's problem, not the console's
      }
    }
  } catch {
    // no node answered (no responders): an empty cluster
  }
  return trees.sort((a, b) => a.node.localeCompare(b.node));
}

/** restart | stop | release | status of one actor; only the node hosting it answers. */
export function actorVerb(
  nc: NatsConnection,
  verb: "restart" | "stop" | "release" | "status",
  kind: string,
  id: string,
  timeoutMs = 5_000,
): Promise<ReplyBody> {
  return request(nc, subjects.admin(verb), { type: "AdminActorRequest", kind, id }, timeoutMs, `no node hosts ${kind}/${id}`);
}

/** `by`: the operator signed in to the console, kept in the quarantine record */
export function quarantineActor(
  nc: NatsConnection,
  kind: string,
  id: string,
  reason: string,
  by: string,
  timeoutMs = 5_000,
): Promise<ReplyBody> {
  return request(
    nc,
    subjects.admin("quarantine"),
    { type: "AdminQuarantineRequest", kind, id, reason, by },
    timeoutMs,
    `no node hosts ${kind}/${id}`,
  );
}

/** EngageKillSwitch / ReleaseKillSwitch to a risk book (am.cmd.risk-book.<book>), signed with the operator's name. */
export function killSwitch(
  nc: NatsConnection,
  o: { book: string; engage: boolean; scope: "BOOK" | "GLOBAL"; by: string; reason?: string; nowUs: number },
  timeoutMs = 5_000,
): Promise<ReplyBody> {
  const stamp = { tsEvent: o.nowUs, tsInit: o.nowUs };
  const message: Message = o.engage
    ? { type: "EngageKillSwitch", scope: o.scope, by: o.by, reason: o.reason || `engaged from the console by ${o.by}`, ...stamp }
    : { type: "ReleaseKillSwitch", scope: o.scope, by: o.by, ...(o.reason ? { reason: o.reason } : {}), ...stamp };
  return request(nc, subjects.cmd("risk-book", o.book), message, timeoutMs, `risk book ${o.book} is not running`);
}

/** ActivateVenueKillSwitch / ReleaseVenueKillSwitch to a venue connection (am.cmd.venue.<venue>), signed by the operator. */
export function venueKillSwitch(
  nc: NatsConnection,
  o: { venue: string; activate: boolean; by: string; reason?: string | undefined; nowUs: number },
  timeoutMs = 5_000,
): Promise<ReplyBody> {
  const stamp = { tsEvent: o.nowUs, tsInit: o.nowUs };
  const why = o.reason ? { reason: o.reason } : {};
  const message: Message = o.activate
    ? { type: "ActivateVenueKillSwitch", by: o.by, reason: o.reason || `activated from the console by ${o.by}`, ...stamp }
    : { type: "ReleaseVenueKillSwitch", by: o.by, ...why, ...stamp };
  return request(nc, subjects.cmd("venue", o.venue), message, timeoutMs, `venue connection ${o.venue} is not running`);
}

export function riskReport(nc: NatsConnection, book: string, nowUs: number, timeoutMs = 2_000): Promise<ReplyBody> {
  return request(
    nc,
    subjects.cmd("risk-book", book),
    { type: "GetRiskReport", tsEvent: nowUs, tsInit: nowUs },
    timeoutMs,
    `risk book ${book} is not running`,
  );
}

/** GetRiskAnalytics with the book's defaults (the report the schedule publishes), for a book not reported yet. */
export function riskAnalytics(nc: NatsConnection, book: string, nowUs: number, timeoutMs = 5_000): Promise<ReplyBody> {
  return request(
    nc,
    subjects.cmd("risk-book", book),
    { type: "GetRiskAnalytics", tsEvent: nowUs, tsInit: nowUs },
    timeoutMs,
    `risk book ${book} is not running`,
  );
}

/** GetProposals of a strategy: its pending proposal, if it runs in approval mode. */
export function strategyProposals(nc: NatsConnection, strategy: string, nowUs: number, timeoutMs = 2_000): Promise<ReplyBody> {
  return request(
    nc,
    subjects.cmd("strategy", strategy),
    { type: "GetProposals", tsEvent: nowUs, tsInit: nowUs },
    timeoutMs,
    `strategy ${strategy} is not running`,
  );
}

/** ApproveProposal / RejectProposal to a strategy, signed with the operator's name (its audit event records it). */
export function proposalDecision(
  nc: NatsConnection,
  o: { strategy: string; proposalId: string; approve: boolean; by: string; reason?: string | undefined; nowUs: number },
  timeoutMs = 5_000,
): Promise<ReplyBody> {
  const message: Message = {
    type: o.approve ? "ApproveProposal" : "RejectProposal",
    proposalId: o.proposalId,
    by: o.by,
    ...(o.reason ? { reason: o.reason } : {}),
    tsEvent: o.nowUs,
    tsInit: o.nowUs,
  };
  return request(nc, subjects.cmd("strategy", o.strategy), message, timeoutMs, `strategy ${o.strategy} is not running`);
}

/**
 * Starts a model's challenger (shadow or canary) or ends it, in the registry: every node serving the model follows
 * it. A refusal names the field (version, share, mode) and changes nothing.
 */
export async function modelChallenge(
  nc: NatsConnection,
  o: { model: string; version: number; mode: "shadow" | "canary"; share?: number | undefined; by: string } | { model: string },
): Promise<ReplyBody> {
  try {
    const registry = await ModelRegistry.open(nc);
    if (!("version" in o)) {
      const ended = await registry.endChallenge(o.model);
      if (!ended) return { ok: false, error: { code: RelayError.Refused, message: `model ${o.model} has no challenge` } };
      return { ok: true, result: ended };
    }
    return { ok: true, result: await registry.startChallenge(o.model, o.version, o.mode, o.share, o.by) };
  } catch (e) {
    if (e instanceof ModelRefused)
      return { ok: false, error: { code: RelayError.Refused, message: `${e.field ?? "model"}: ${e.message}` } };
    return { ok: false, error: { code: RelayError.Unreachable, message: `model registry: ${errorMessage(e)}` } };
  }
}
