import { TokenError, type AuthSettings, authenticate as verifyBearer, type Principal } from "../infra/auth/index.ts";
import { unauthenticated } from "./errors.ts";

export {
  TokenError,
  type AuthSettings,
  defaultAudience,
  defaultIssuer,
  isRole,
  type MintOptions,
  mintToken,
  parseTtl,
  type Principal,
  Role,
  roleRank,
  roles,
} from "../infra/auth/index.ts";

/** The bearer token of a call, or UNAUTHENTICATED with the reason. */
export async function authenticate(authorization: string | undefined, auth: AuthSettings): Promise<Principal> {
  try {
    return await verifyBearer(authorization, auth);
  } catch (e) {
    if (e instanceof TokenError) throw unauthenticated(e.message);
    throw e;
  }
}
