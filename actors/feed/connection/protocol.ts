import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";

/**
 * The feed connection protocol: the machine asks its I/O adapter (am.cmd.feed-adapter.<feed>) to connect or
 * disconnect; the adapter answers on the actor's command subject (am.cmd.vendor-feed.<feed>). Reason texts are
 * redacted by the adapter: no API key travels here.
 */

/** Per stream key (Polygon "T.AAPL", Alpha Vantage "IBM", Binance "BTCUSDT"): the last record delivered. */
const watermark = z.object({ seq: z.number().int().nonnegative(), tsMs: z.number().int().nonnegative() });
const marks = z.record(z.string(), watermark);
export type Watermarks = z.output<typeof marks>;

export const FeedAdapterConnect = defineMessage(
  "FeedAdapterConnect",
  1,
  z.object({ feed: z.string(), attempt: z.number().int().nonnegative(), resume: marks }),
  "Open the vendor session; resume after the given watermarks (no duplicate, no gap where the vendor allows it).",
);
export type FeedAdapterConnect = MessageOf<typeof FeedAdapterConnect>;

export const FeedAdapterDisconnect = defineMessage(
  "FeedAdapterDisconnect",
  1,
  z.object({ feed: z.string(), reason: z.string() }),
  "Close the vendor session.",
);
export type FeedAdapterDisconnect = MessageOf<typeof FeedAdapterDisconnect>;

export const FeedConnected = defineMessage("FeedConnected", 1, z.object({ feed: z.string() }), "The adapter's vendor session is live.");
export const FeedConnectFailed = defineMessage(
  "FeedConnectFailed",
  1,
  z.object({ feed: z.string(), reason: z.string(), detail: z.string() }),
  "The adapter could not open the vendor session (reason: a FeedErrorReason code).",
);
export const FeedDisconnected = defineMessage(
  "FeedDisconnected",
  1,
  z.object({ feed: z.string(), reason: z.string(), detail: z.string(), marks: marks.optional() }),
  "The vendor session went down (dropped, rate limited, refused); marks: where it stopped.",
);
export const FeedProgress = defineMessage(
  "FeedProgress",
  1,
  z.object({
    feed: z.string(),
    marks,
    delivered: z.number().int().nonnegative(),
    duplicates: z.number().int().nonnegative(),
    gaps: z.number().int().nonnegative(),
    resyncs: z.number().int().nonnegative(),
  }),
  "What the adapter delivered since its last report, and the watermarks reached.",
);
export const StartFeed = defineMessage("StartFeed", 1, z.object({}), "Start (or restart) a feed connection.");
export const StopFeed = defineMessage("StopFeed", 1, z.object({}), "Stop a feed connection: disconnect and stay idle.");
export const GetFeedConnection = defineMessage("GetFeedConnection", 1, z.object({}), "Read a feed connection's state and counters.");
