import { defineKind } from "../../contract/index.ts";
import { feedConnectionMachine } from "./machine.ts";
import { type FeedConnectionContext, feedConnectionSummary } from "./state.ts";

/** A stable jitter seed per feed id, so two feeds that fail together do not retry together. */
const seedOf = (id: string): number => [...id].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16_777_619) >>> 0, 2_166_136_261);

/** How a vendor feed retries (the node's AM_FEED_* settings). */
export interface VendorFeedPolicy {
  feedBackoffBaseMs: number;
  feedBackoffMaxMs: number;
  feedBreakerThreshold: number;
  feedBreakerCooldownMs: number;
}

/**
 * One vendor feed connection per configured feed (id = polygon, alpha-vantage, binance): the pure session
 * supervisor; the node's FeedAdapter (supervisors/node/feed-adapters.ts) does the I/O. Its snapshot keeps the
 * watermarks, so a restarted or moved actor resumes where delivery stopped.
 */
export const vendorFeedKind = (policy: VendorFeedPolicy) =>
  defineKind({
    name: "vendor-feed",
    machine: feedConnectionMachine,
    input: (id) => ({
      feed: id,
      seed: seedOf(id),
      backoffBaseMs: policy.feedBackoffBaseMs,
      backoffMaxMs: policy.feedBackoffMaxMs,
      breakerThreshold: policy.feedBreakerThreshold,
      breakerCooldownMs: policy.feedBreakerCooldownMs,
    }),
    persistence: "snapshot",
    snapshotEveryMs: 1_000,
    startWith: { type: "StartFeed" },
    // the session died with the old incarnation: connect again, resuming after the stored watermarks
    resumeWith: { type: "StartFeed" },
    summarize: (c) => feedConnectionSummary(c as FeedConnectionContext),
  });
