import { z } from "zod";
import { jsonByVenue } from "./by-venue.ts";

const compId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "a FIX CompID of letters, digits, _ or - (at most 32)");
const session = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int("a whole port number").min(1).max(65_535),
  /** our SenderCompID (49) as initiator; the acceptor answers with the two swapped */
  senderCompId: compId,
  targetCompId: compId,
  heartbeatSecs: z.number().int("whole seconds").min(1).max(300).default(30),
  resetSeqNumOnLogon: z.boolean().default(false),
  /** run the acceptor in front of this node's simulated exchange too */
  acceptor: z.boolean().default(false),
});

/** One venue traded over FIX 4.4. */
export type FixVenueSetting = z.output<typeof session>;

/**
 * AM_FIX_VENUES: a JSON object by venue, e.g. {"SIMX":{"port":9878,"senderCompId":"ALPHAMIND","targetCompId":"SIMX",
 * "acceptor":true}}; empty = every venue over NATS. An error names the venue and the field.
 */
export const fixVenuesSetting = jsonByVenue(session);
