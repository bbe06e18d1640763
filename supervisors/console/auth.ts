import { errors, jwtVerify, SignJWT } from "jose";

/**
 * Operators sign in with the bearer JWT the gRPC gateway accepts: HS256, claims `sub`, `role` and `exp`.
 * Roles are ordered; a control needs at least `operator`.
 */
export const Role = { Viewer: "viewer", Trader: "trader", Operator: "operator", Admin: "admin" } as const;
export type Role = (typeof Role)[keyof typeof Role];
const rank: Record<Role, number> = { viewer: 0, trader: 1, operator: 2, admin: 3 };

export const AuthFailure = { Missing: "missing", Malformed: "malformed", BadSignature: "bad-signature", Expired: "expired", BadClaims: "bad-claims" } as const;
export type AuthFailure = (typeof AuthFailure)[keyof typeof AuthFailure];

export class AuthError extends Error {
  override name = "AuthError";
  constructor(
    readonly reason: AuthFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface Principal {
  sub: string;
  role: Role;
  /** expiry, seconds since the epoch */
  exp: number;
}

export const isRole = (v: unknown): v is Role => typeof v === "string" && v in rank;

/** True when `role` is `needed` or above. */
export const hasRole = (role: Role, needed: Role): boolean => rank[role] >= rank[needed];

const keyOf = (secret: string | Uint8Array) => (typeof secret === "string" ? new TextEncoder().encode(secret) : secret);

/** Verifies a bearer token (HS256 only, `exp` required) and returns who it names; throws AuthError with a reason. */
export async function verifyToken(token: string | undefined, secret: string | Uint8Array): Promise<Principal> {
  if (!token) throw new AuthError(AuthFailure.Missing, "no bearer token: sign in with a JWT");
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token.replace(/^Bearer\s+/i, ""), keyOf(secret), { algorithms: ["HS256"], requiredClaims: ["exp", "sub"] }));
  } catch (e) {
    if (e instanceof errors.JWTExpired) throw new AuthError(AuthFailure.Expired, "token expired: sign in again");
    if (e instanceof errors.JWSSignatureVerificationFailed) throw new AuthError(AuthFailure.BadSignature, "token signature does not verify");
    if (e instanceof errors.JWTClaimValidationFailed) throw new AuthError(AuthFailure.BadClaims, `token claim ${e.claim}: ${e.reason}`);
    throw new AuthError(AuthFailure.Malformed, `token rejected: ${(e as Error).message}`);
  }
  const { sub, role, exp } = payload;
  if (typeof sub !== "string" || sub.length === 0) throw new AuthError(AuthFailure.BadClaims, "token claim sub must be a non-empty string");
  if (!isRole(role)) throw new AuthError(AuthFailure.BadClaims, `token claim role must be one of ${Object.keys(rank).join(", ")}`);
  return { sub, role, exp: exp as number };
}

/** Signs a token (tests, local development, an operator's CLI). */
export function signToken(p: { sub: string; role: Role }, secret: string | Uint8Array, ttlSeconds = 8 * 3600): Promise<string> {
  return new SignJWT({ role: p.role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(p.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(keyOf(secret));
}
