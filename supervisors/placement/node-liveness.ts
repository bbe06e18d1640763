import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { subjects } from "../../actors/contract/index.ts";
import { NoResponders, type ReplyInbox } from "../../infra/nats/reply-inbox.ts";

/** how long a probe waits for an answer; no answer in time says nothing (a busy or paused node answers late) */
const PROBE_TIMEOUT_MS = 500;
const empty = new Uint8Array(0);

/**
 * Whether a node whose heartbeat is late is gone, asked of the NATS servers rather than guessed from time: every
 * node answers on its own subject, and the servers drop that interest the moment its connection closes, so a probe
 * to a node whose process died is answered "no responders" at once. A node that is alive but paused (a GC pause, a
 * starved machine) keeps its connection and its interest: its probe times out, which does not make it gone.
 */
export class NodeLiveness {
  /** node → the heartbeat time a "no responders" answer was given against; a later heartbeat voids it */
  private readonly gone = new Map<string, number>();
  private readonly asking = new Set<string>();
  private sub: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly inbox: ReplyInbox,
    /** called when a probe finds a node gone: placement may act on it before its next tick */
    private readonly onGone: (node: string) => void,
  ) {}

  /** Answers the probes of the others for `node` (this process). */
  answer(node: string): void {
    this.sub = this.nc.subscribe(subjects.admin("node-alive", node), { callback: (_e, m) => void m.respond(empty) });
  }

  /** The node's connection was found closed since the heartbeat seen at `heartbeatAt`. */
  isGone(node: string, heartbeatAt: number): boolean {
    const at = this.gone.get(node);
    return at !== undefined && at >= heartbeatAt;
  }

  /** Asks whether `node` still holds a connection (one probe at a time per node). */
  probe(node: string, heartbeatAt: number): void {
    if (this.asking.has(node) || this.isGone(node, heartbeatAt)) return;
    this.asking.add(node);
    this.inbox
      .request(subjects.admin("node-alive", node), empty, undefined, PROBE_TIMEOUT_MS)
      .then(
        () => this.gone.delete(node),
        (e: unknown) => {
          if (!(e instanceof NoResponders)) return;
          this.gone.set(node, heartbeatAt);
          this.onGone(node);
        },
      )
      .finally(() => this.asking.delete(node));
  }

  /** Forgets a node that left the view. */
  forget(node: string): void {
    this.gone.delete(node);
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}
