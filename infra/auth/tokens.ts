import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { errorMessage } from "../../actors/contract/index.ts";

/** Why a bearer token was refused; the edges map it to their own status (gRPC UNAUTHENTICATED, WebSocket 4401). */
export class TokenError extends Error {
  override name = "TokenError";
}

/** Roles in increasing power; a role may call every RPC of the roles below it. */
export const Role = { Viewer: "viewer", Trader: "trader", Operator: "operator", Admin: "admin" } as const;
export type Role = (typeof Role)[keyof typeof Role];
export const roles: readonly Role[] = [Role.Viewer, Role.Trader, Role.Operator, Role.Admin];
export const roleRank = (r: Role): number => roles.indexOf(r);
export const isRole = (r: unknown): r is Role => typeof r === "string" && (roles as readonly string[]).includes(r);

export interface AuthSettings {
  /** HS256 secret, at least 32 bytes */
  secret: string;
  issuer: string;
  audience: string;
}

export const defaultIssuer = "alphamind";
export const defaultAudience = "alphamind-gateway";

export interface Principal {
  subject: string;
  role: Role;
}

const key = (secret: string): Uint8Array => {
  const k = new TextEncoder().encode(secret);
  if (k.length < 32) throw new Error(`jwt secret: must be at least 32 bytes for HS256 (got ${k.length})`);
  return k;
};

/** Verifies `authorization: Bearer <jwt>`: signature (HS256 only), issuer, audience, expiry, subject and role. */
export async function authenticate(authorization: string | undefined, auth: AuthSettings): Promise<Principal> {
  if (!authorization) throw new TokenError("missing authorization metadata: send 'authorization: Bearer <jwt>'");
  const m = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!m) throw new TokenError("authorization metadata must be 'Bearer <jwt>'");
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(m[1]!, key(auth.secret), { algorithms: ["HS256"], issuer: auth.issuer, audience: auth.audience }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw new TokenError("token expired");
    if (e instanceof joseErrors.JWTClaimValidationFailed) throw new TokenError(`token claim '${e.claim}' invalid: ${e.reason}`);
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) throw new TokenError("token signature invalid");
    throw new TokenError(`token invalid: ${errorMessage(e)}`);
  }
  if (typeof payload.sub !== "string" || payload.sub.length === 0) throw new TokenError("token has no subject (sub)");
  if (!isRole(payload.role)) throw new TokenError(`token role ${JSON.stringify(payload.role)} is not one of ${roles.join(", ")}`);
  return { subject: payload.sub, role: payload.role };
}

export interface MintOptions {
  subject: string;
  role: Role;
  /** lifetime in seconds */
  ttlS: number;
  issuer?: string;
  audience?: string;
  /** issued-at override in seconds since the epoch (tests mint expired tokens with it) */
  nowS?: number;
}

export async function mintToken(secret: string, o: MintOptions): Promise<string> {
  const now = o.nowS ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ role: o.role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(o.subject)
    .setIssuer(o.issuer ?? defaultIssuer)
    .setAudience(o.audience ?? defaultAudience)
    .setIssuedAt(now)
    .setExpirationTime(now + o.ttlS)
    .sign(key(secret));
}

/** "90", "90s", "15m", "1h", "7d" → seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new Error(`ttl: ${JSON.stringify(text)} is not a duration like 90s, 15m, 1h or 7d`);
  const mult = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? "s") as "s" | "m" | "h" | "d"];
  return Number(m[1]) * mult;
}
