import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  type BusMessage,
  FixExchangeAcceptor,
  type FixSessionBucket,
  type FixSessionConfig,
  FixVenueInitiator,
  type VenueBus,
} from "../../../actors/venue/fix/index.ts";
import { decodeMessage, encodeMessage, type Message } from "../../../infra/nats/codec.ts";
import { buckets } from "../../../infra/nats/resources.ts";

/** The venue bus on a node's NATS connection: every message through the codec, validated where it is heard. */
export function natsVenueBus(nc: NatsConnection, onInvalid: (subject: string, e: unknown) => void = () => {}): VenueBus {
  return {
    publish(subject, message) {
      const { data, headers } = encodeMessage(message as Message);
      nc.publish(subject, data, { headers });
    },
    subscribe(subject, onMessage) {
      const sub = nc.subscribe(subject, {
        callback: (_e, m) => {
          try {
            onMessage(decodeMessage(m.data, m.headers, true).message as BusMessage);
          } catch (e) {
            onInvalid(subject, e);
          }
        },
      });
      return () => sub.unsubscribe();
    },
  };
}

/** FIX session state in the node's snapshot bucket (JetStream KV), under keys of its own (`fix-…`). */
export async function snapshotBucketForFix(nc: NatsConnection): Promise<FixSessionBucket> {
  const kv = await new Kvm(nc).open(buckets.snapshots);
  return {
    async get(key) {
      const e = await kv.get(key);
      return e && e.operation === "PUT" ? e.string() : undefined;
    },
    async put(key, value) {
      await kv.put(key, value);
    },
  };
}

/** How a venue trades over FIX (AM_FIX_VENUES): our session to it, and whether this node also runs its acceptor. */
type FixVenueSetting = Omit<FixSessionConfig, "venue"> & {
  /** run the acceptor in front of the simulated exchange too (the demo: both ends on one node) */
  acceptor: boolean;
};

/**
 * Starts each FIX venue's initiator (and acceptor where configured) on this node; the exchange kind is told which
 * venues its acceptor fronts. Stopping logs each session out and flushes its sequence numbers.
 */
export async function startFixVenues(
  nc: NatsConnection,
  venues: Readonly<Record<string, FixVenueSetting>>,
  onInvalid?: (subject: string, e: unknown) => void,
): Promise<{ stop(): Promise<void> }> {
  const names = Object.keys(venues);
  if (names.length === 0) return { stop: async () => {} };
  const bus = natsVenueBus(nc, onInvalid);
  const bucket = await snapshotBucketForFix(nc);
  const running: { stop(): Promise<void> }[] = [];
  for (const venue of names) {
    const { acceptor, ...session } = venues[venue]!;
    if (acceptor) {
      const a = new FixExchangeAcceptor(
        { ...session, venue, senderCompId: session.targetCompId, targetCompId: session.senderCompId },
        bus,
        bucket,
      );
      a.start();
      running.push(a);
    }
    const i = new FixVenueInitiator({ ...session, venue }, bus, bucket);
    i.start();
    running.push(i);
  }
  return { stop: async () => void (await Promise.all(running.map((r) => r.stop()))) };
}
