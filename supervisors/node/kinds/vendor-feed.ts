import { type FeedConnectionContext, feedConnectionMachine, feedConnectionSummary } from "../../../actors/feed/connection/index.ts";
import type { Config } from "../../../infra/config/index.ts";
import { defineKind } from "../../../actors/contract/index.ts";

/** A stable jitter seed per feed id, so two feeds that fail together do not retry together. */
const seedOf = (id: string): number => [...id].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16_777_619) >>> 0, 2_166_136_261);

type Policy = Pick<Config, "feedBackoffBaseMs" | "feedBackoffMaxMs" | "feedBreakerThreshold" | "feedBreakerCooldownMs">;

/**
 * One vendor feed connection per configured feed (id = polygon, alpha-vantage, binance): the pure session
 * supervisor; the node's FeedAdapter (supervisors/node/feed-adapters.ts) does the I/O. Its snapshot keeps the
 * watermarks, so a restarted or moved actor resumes where delivery stopped.
 */
export const vendorFeedKind = (policy: Policy) =>
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

/** The vendor-feed kind where AM_FEEDS names any feed, none otherwise (the default demo stays as it is). */
export const vendorFeedKinds = (config: Policy & Pick<Config, "feeds">) => (config.feeds.trim() ? [vendorFeedKind(config)] : []);
