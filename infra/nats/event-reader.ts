import type { ConsumerConfig, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { streams } from "./resources.ts";

const ORPHAN_AFTER_MS = 60_000;

/**
 * The events stream's messages that a consumer with `config` selects, in order, until none is pending; the
 * ephemeral ordered consumer is deleted at the end. Journal replay and an actor's catch-up both read this way.
 */
export async function* readEvents(js: JetStreamClient, config: Partial<ConsumerConfig>): AsyncGenerator<JsMsg> {
  // A reader that crashes leaves its consumer for this long, not the client's five minutes (milliseconds here: the
  // ordered consumer API converts them).
  const consumer = await js.consumers.get(streams.events, { ...config, inactive_threshold: ORPHAN_AFTER_MS });
  try {
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 1000), expires: 5_000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        pending = m.info.pending;
        yield m;
        if (pending === 0) break;
      }
      if (got === 0) break;
    }
  } finally {
    // not awaited: a consumer delete is a round trip through the meta leader, and a restoring actor (a risk book
    // catching up after a failover) would wait on it before taking orders; a delete that fails lapses on its own
    void consumer.delete().catch(() => {});
  }
}
