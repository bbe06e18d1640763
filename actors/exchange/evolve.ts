import type { Emitted } from "../contract/index.ts";
import type { SimulatedVenueSession } from "./venue-session.ts";

/**
 * The session's logon state after what the venue published: open once it has sent AdapterLoggedOn, closed once it
 * has sent AdapterDisconnected (asked for, or a command that arrived without a session).
 */
export function evolve(session: SimulatedVenueSession, event: Emitted): SimulatedVenueSession {
  if (event.type !== "publish") return session;
  if (event.message.type === "AdapterLoggedOn") session.loggedOn = true;
  else if (event.message.type === "AdapterDisconnected") session.loggedOn = false;
  return session;
}
