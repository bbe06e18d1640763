import type { MsgHdrs } from "@nats-io/transport-node";

/** The header nats-server writes on a request that crossed a service import shared with the exporting account. */
const requestInfoHeader = "Nats-Request-Info";

/**
 * The NATS user who sent a request from another account (`<account>/<user>`, e.g. `OPS/operator`), or undefined for
 * a request from inside the platform's account. People reach the platform only from the OPS account, through service
 * imports with `share: true` (nats.conf): there the server writes Nats-Request-Info with the caller's account and user,
 * replacing any header of that name the client set, so the identity comes from the credentials, never from the body.
 */
export function requesterOf(headers: MsgHdrs | undefined, ownAccount = "AM"): string | undefined {
  const raw = headers?.get(requestInfoHeader);
  if (!raw) return undefined;
  let info: { acc?: unknown; user?: unknown };
  try {
    info = JSON.parse(raw) as { acc?: unknown; user?: unknown };
  } catch {
    return undefined;
  }
  if (typeof info.acc !== "string" || info.acc === ownAccount) return undefined;
  return `${info.acc}/${typeof info.user === "string" && info.user ? info.user : "unknown user"}`;
}
