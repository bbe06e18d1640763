import { status as Status } from "@grpc/grpc-js";

/** An error that leaves the gateway as a gRPC status; `message` is what the caller reads. */
export class GatewayError extends Error {
  override name = "GatewayError";
  constructor(
    readonly code: Status,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (m: string) => new GatewayError(Status.INVALID_ARGUMENT, m);
export const unauthenticated = (m: string) => new GatewayError(Status.UNAUTHENTICATED, m);
export const permissionDenied = (m: string) => new GatewayError(Status.PERMISSION_DENIED, m);
export const unavailable = (m: string) => new GatewayError(Status.UNAVAILABLE, m);

/**
 * Actor reason codes that mean something other than "the actor refused in its current state". Everything not
 * listed is FAILED_PRECONDITION (risk denials, order state conflicts, strategy parameter rejections).
 */
const actorCodeStatus: Record<string, Status> = {
  busy: Status.RESOURCE_EXHAUSTED,
  "actor-failed": Status.INTERNAL,
  quarantined: Status.UNAVAILABLE,
  "not-here": Status.UNAVAILABLE,
  stopped: Status.UNAVAILABLE,
  invalid: Status.INVALID_ARGUMENT,
  // an execution algorithm's parameters it cannot take (the message names the field)
  "invalid-parameters": Status.INVALID_ARGUMENT,
  "not-found": Status.NOT_FOUND,
  "unknown-order": Status.NOT_FOUND,
  // the order actor's OrderReason.UnknownOrder
  UNKNOWN_ORDER: Status.NOT_FOUND,
  "unknown-actor": Status.NOT_FOUND,
  "not-running": Status.NOT_FOUND,
  "already-exists": Status.ALREADY_EXISTS,
  duplicate: Status.ALREADY_EXISTS,
  // a clientOrderId reused with other terms: the order entity's OrderReason.ClientOrderIdReused, the book's
  // DenyReason.DuplicateOrder (while the first order is open)
  CLIENT_ORDER_ID_REUSED: Status.ALREADY_EXISTS,
  DUPLICATE_ORDER: Status.ALREADY_EXISTS,
};

export function actorRefusal(subject: string, code: string, message: string): GatewayError {
  return new GatewayError(actorCodeStatus[code] ?? Status.FAILED_PRECONDITION, `${code}: ${message} (${subject})`);
}
