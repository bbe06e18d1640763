import { randomBytes } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The NATS users of the platform (nats.conf): `node`, `recorder` and `gateway` are services in the AM account;
 * `operator` and `reader` are people and outside tools in the OPS account; `system` is the server's system account.
 */
export const natsRoles = ["node", "recorder", "gateway", "operator", "reader", "system"] as const;
export type NatsRole = (typeof natsRoles)[number];

export const isNatsRole = (v: string): v is NatsRole => (natsRoles as readonly string[]).includes(v);

/** One user's credentials, as stored in `<dir>/<role>.json` (mode 0600). */
export interface NatsCredentials {
  user: string;
  password: string;
}

/**
 * OPS users' inbox prefix: the push deliveries of consumers they create come from AM's JetStream on their inbox,
 * and AM exports only this prefix to OPS (never the services' own `_INBOX.>` replies).
 */
export const opsInboxPrefix = "_INBOX_OPS";

/** The inbox prefix a role's connection must use, where it is not the default. */
export const inboxPrefixOf = (role: NatsRole): string | undefined =>
  role === "operator" || role === "reader" ? opsInboxPrefix : undefined;

const fileOf = (dir: string, role: NatsRole): string => join(dir, `${role}.json`);

function parseCredentials(text: string, file: string): NatsCredentials {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`NATS credentials ${file} are not JSON (${(e as Error).message}): delete the file and run the set-up again`);
  }
  const c = v as Partial<NatsCredentials>;
  if (typeof c?.user !== "string" || typeof c.password !== "string" || c.password.length < 16)
    throw new Error(`NATS credentials ${file} need a "user" and a "password" of 16 characters or more`);
  return { user: c.user, password: c.password };
}

/** A role's credentials from the directory; a clear error when the set-up has not made them. */
export function readNatsCredentials(dir: string, role: NatsRole): NatsCredentials {
  const file = fileOf(dir, role);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`no NATS credentials for the ${role} user at ${file}: run \`npm run setup\` (or set AM_NATS_CREDENTIALS_DIR)`);
  }
  return parseCredentials(text, file);
}

/**
 * Every role's credentials, making those missing: a random password (32 bytes) per user, each file written whole
 * and then linked into place, so concurrent set-ups and test runs agree on one password and never read half a file.
 * Files are 0600 in a 0700 directory; existing ones are kept, so the step is idempotent.
 */
export function ensureNatsCredentials(dir: string): Record<NatsRole, NatsCredentials> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const out = {} as Record<NatsRole, NatsCredentials>;
  for (const role of natsRoles) {
    const file = fileOf(dir, role);
    const draft = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    const fresh: NatsCredentials = { user: role, password: randomBytes(32).toString("base64url") };
    writeFileSync(draft, `${JSON.stringify(fresh)}\n`, { mode: 0o600, flag: "wx" });
    try {
      linkSync(draft, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      unlinkSync(draft);
    }
    out[role] = readNatsCredentials(dir, role);
  }
  return out;
}

/** The environment nats.conf reads the users' passwords from (`$AM_NATS_PASSWORD_<ROLE>`). */
export function serverPasswordEnv(credentials: Record<NatsRole, NatsCredentials>): Record<string, string> {
  return Object.fromEntries(natsRoles.map((r) => [`AM_NATS_PASSWORD_${r.toUpperCase()}`, credentials[r].password]));
}
