/**
 * Prints a bearer token for the gateway and the console, signed with the node's secret (AM_GATEWAY_JWT_SECRET or
 * the one generated into var/jwt-secret):
 *   node --import tsx scripts/mint-token.ts --role trader --sub alice --ttl 1h [--iss alphamind] [--aud alphamind-gateway]
 */
import { parseArgs } from "node:util";
import { isRole, mintToken, parseTtl, roles } from "../infra/auth/index.ts";
import { loadConfig, resolveJwtSecret } from "../infra/config/index.ts";
import { errorMessage } from "../actors/contract/index.ts";

const { values } = parseArgs({
  options: {
    role: { type: "string" },
    sub: { type: "string" },
    ttl: { type: "string", default: "1h" },
    iss: { type: "string" },
    aud: { type: "string" },
  },
});
const fail = (m: string): never => {
  process.stderr.write(
    `mint-token: ${m}\nusage: node --import tsx scripts/mint-token.ts --role <${roles.join("|")}> --sub <name> [--ttl 1h]\n`,
  );
  process.exit(2);
};
// The node's own secret: AM_GATEWAY_JWT_SECRET, or the one generated into var/ at the first start.
let secret = "";
try {
  secret = resolveJwtSecret(loadConfig());
} catch (e) {
  fail(errorMessage(e));
}
if (!isRole(values.role)) fail(`--role must be one of ${roles.join(", ")}`);
if (!values.sub) fail("--sub (the principal's name) is required");
let ttlS = 0;
try {
  ttlS = parseTtl(values.ttl ?? "1h");
} catch (e) {
  fail(errorMessage(e));
}
try {
  const token = await mintToken(secret, {
    subject: values.sub as string,
    role: values.role as (typeof roles)[number],
    ttlS,
    ...(values.iss ? { issuer: values.iss } : {}),
    ...(values.aud ? { audience: values.aud } : {}),
  });
  process.stdout.write(`${token}\n`);
} catch (e) {
  fail(errorMessage(e));
}
