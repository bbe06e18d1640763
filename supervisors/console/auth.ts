import { decodeJwt } from "jose";
import { authenticate, defaultAudience, defaultIssuer, isRole, mintToken, Role, roleRank } from "../../infra/auth/index.ts";
import { errorMessage } from "../../actors/contract/index.ts";

/**
 * Operators sign in with the same bearer JWT the gRPC gateway accepts (infra/auth: HS256, issuer, audience,
 * exp, sub, role), so one token minted with scripts/mint-token.ts works on both edges.
 */
export { isRole, Role };

export const AuthFailure = { Missing: "missing", Expired: "expired", BadSignature: "bad-signature", Invalid: "invalid" } as const;
export type AuthFailure = (typeof AuthFailure)[keyof typeof AuthFailure];

export class ConsoleAuthError extends Error {
  override name = "ConsoleAuthError";
  constructor(
    readonly reason: AuthFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ConsoleAuth {
  /** HS256 secret, at least 32 bytes (the gateway's) */
  secret: string;
  issuer?: string;
  audience?: string;
}

export interface Principal {
  sub: string;
  role: Role;
  /** expiry, seconds since the epoch: controls are refused once it passes, even on an open socket */
  exp: number;
}

/** True when `role` is `needed` or above. */
export const hasRole = (role: Role, needed: Role): boolean => roleRank(role) >= roleRank(needed);

/** Verifies a token as the gateway does and returns who it names; throws ConsoleAuthError with a reason. */
export async function verifyToken(token: string | undefined, auth: ConsoleAuth): Promise<Principal> {
  if (!token) throw new ConsoleAuthError(AuthFailure.Missing, "no bearer token: sign in with a JWT (scripts/mint-token.ts)");
  const bare = token.trim().replace(/^Bearer\s+/i, "");
  try {
    const p = await authenticate(`Bearer ${bare}`, {
      secret: auth.secret,
      issuer: auth.issuer ?? defaultIssuer,
      audience: auth.audience ?? defaultAudience,
    });
    const { exp } = decodeJwt(bare);
    if (typeof exp !== "number") throw new ConsoleAuthError(AuthFailure.Invalid, "token has no expiry (exp)");
    return { sub: p.subject, role: p.role, exp };
  } catch (e) {
    if (e instanceof ConsoleAuthError) throw e;
    const message = errorMessage(e);
    const reason = /expired/i.test(message)
      ? AuthFailure.Expired
      : /signature/i.test(message)
        ? AuthFailure.BadSignature
        : AuthFailure.Invalid;
    throw new ConsoleAuthError(reason, message);
  }
}

/** Signs a token the gateway and the console accept (tests; operators use scripts/mint-token.ts). */
export function signToken(p: { sub: string; role: Role }, secret: string, ttlSeconds = 8 * 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  // An already-expired token (negative ttl) is issued in the past so that iat stays before exp.
  return mintToken(secret, { subject: p.sub, role: p.role, ttlS: Math.abs(ttlSeconds), nowS: ttlSeconds < 0 ? now + 2 * ttlSeconds : now });
}
