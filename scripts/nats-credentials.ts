/**
 * Makes the NATS users' credentials the set-up promises (idempotent: existing ones are kept): one <role>.json per
 * user of nats.conf, random passwords, mode 0600, in AM_NATS_CREDENTIALS_DIR (default <cacheDir>/nats-credentials).
 */
import { loadConfig } from "../infra/config/index.ts";
import { ensureNatsCredentials, natsClientOf, natsRoles } from "../infra/nats/index.ts";

const { credentialsDir } = natsClientOf(loadConfig());
ensureNatsCredentials(credentialsDir);
process.stdout.write(`NATS users (${natsRoles.join(", ")}): credentials in ${credentialsDir}\n`);
