import type { Msg, MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { subjects } from "../../actors/contract/index.ts";

/**
 * Forwards between actors that share a NATS connection (one cell of one node), handed over in memory instead of
 * requested through nats-server: on this machine each such request costs four socket trips and a thread wake-up
 * on every side, where the hand-over costs microseconds. An actor's outbox uses it (a risk book's approved order
 * to its order entity, a venue connection's execution report to the order); the message still passes the codec,
 * the target's validation, mailbox and overflow policy exactly as from NATS, and is answered with the same Reply.
 * Commands published without a reply subject stay on NATS, where every subscriber hears them (tools listen to a
 * venue connection's inbox).
 *
 * Scope is the connection, not the process: actors of another cell, or of a second node started in the same
 * process (tests do), are reached through NATS as before, so a node cut off from NATS stays cut off. A target
 * that is not served on the connection, or no longer running there, is reached through NATS as before.
 */
type Take = (msg: Msg) => boolean;

interface Served {
  /** exact command subjects of the actors hosted on the connection */
  subjects: Map<string, Take>;
  /** sharded kinds by name: a region takes the message where it owns the entity's shard (a cell runs one per kind) */
  kinds: Map<string, Take[]>;
}

const byConnection = new WeakMap<NatsConnection, Served>();

function servedOn(nc: NatsConnection): Served {
  let s = byConnection.get(nc);
  if (!s) {
    s = { subjects: new Map(), kinds: new Map() };
    byConnection.set(nc, s);
  }
  return s;
}

/** Serves an actor's command subject on the connection; returns the function that stops serving it. */
export function serveCommands(nc: NatsConnection, subject: string, take: Take): () => void {
  const { subjects } = servedOn(nc);
  subjects.set(subject, take);
  return () => {
    if (subjects.get(subject) === take) subjects.delete(subject);
  };
}

/** Serves a sharded kind's commands on the connection (its region); returns the function that stops serving it. */
export function serveKindCommands(nc: NatsConnection, kind: string, take: Take): () => void {
  const { kinds } = servedOn(nc);
  kinds.set(kind, [...(kinds.get(kind) ?? []), take]);
  return () => {
    const left = (kinds.get(kind) ?? []).filter((t) => t !== take);
    if (left.length) kinds.set(kind, left);
    else kinds.delete(kind);
  };
}

const CMD = subjects.cmdAll("k").slice(0, -"k.>".length); // "am.cmd."

/** The kind token of am.cmd.<kind>.<id> (kind names are plain tokens), or "" for any other subject. */
function kindOf(subject: string): string {
  if (!subject.startsWith(CMD)) return "";
  const end = subject.indexOf(".", CMD.length);
  return end < 0 ? "" : subject.slice(CMD.length, end);
}

/** Who takes `subject` on this connection: the actor serving it, or the region of its sharded kind. */
function takerOf(nc: NatsConnection, subject: string): Take | undefined {
  if (!subject.startsWith(CMD)) return undefined;
  const served = byConnection.get(nc);
  if (!served) return undefined;
  const exact = served.subjects.get(subject);
  if (exact || !served.kinds.size) return exact;
  const regions = served.kinds.get(kindOf(subject));
  if (!regions) return undefined;
  return regions.length === 1 ? regions[0] : (msg) => regions.some((take) => take(msg));
}

/** The command message handed over: what ActorHost.receive and a shard region read of a NATS Msg. */
class LocalCommand {
  readonly sid = 0;
  readonly reply = "_LOCAL";
  constructor(
    readonly subject: string,
    readonly data: Uint8Array,
    readonly headers: MsgHdrs | undefined,
    private readonly answer: (data: Uint8Array, headers: MsgHdrs | undefined) => void,
  ) {}
  respond(data: Uint8Array = new Uint8Array(0), opts?: { headers?: MsgHdrs }): boolean {
    this.answer(data, opts?.headers);
    return true;
  }
}

/** The answer to a command handed over in memory: its Reply's payload and headers, as a requester reads them. */
export interface LocalAnswer {
  data: Uint8Array;
  headers: MsgHdrs | undefined;
}

/**
 * Hands a command to the actor that serves `subject` on this connection, if one does and takes it (true), or
 * false: ask through NATS. `answered` hears its answer, or undefined once `timeoutMs` passes without one (as a NATS
 * request times out); once, in either case. It hears the answer as the target gives it, within the target's own
 * turn, not a microtask later: what the requester sends on it (its own reply) goes to nats-server in the same socket
 * write as what the target sent, one write and one wake-up of the server fewer per hand-over. A throw in it is
 * rethrown on its own, so the target's turn goes on.
 */
export function requestLocally(
  nc: NatsConnection,
  subject: string,
  data: Uint8Array,
  headers: MsgHdrs | undefined,
  timeoutMs: number,
  answered: (a: LocalAnswer | undefined) => void,
): boolean {
  const take = takerOf(nc, subject);
  if (!take) return false;
  let done = false;
  const timer = setTimeout(() => {
    done = true;
    answered(undefined);
  }, timeoutMs);
  const msg = new LocalCommand(subject, data, headers, (d, h) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    try {
      answered({ data: d, headers: h });
    } catch (e) {
      setImmediate(() => {
        throw e;
      });
    }
  });
  if (take(msg as unknown as Msg)) return true;
  done = true;
  clearTimeout(timer);
  return false;
}
