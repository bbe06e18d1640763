/**
 * The admin API from a terminal:
 *   node --import tsx scripts/admin.ts tree
 *   node --import tsx scripts/admin.ts nodes
 *   node --import tsx scripts/admin.ts status|restart|stop|spawn|release <kind> <id>
 *   node --import tsx scripts/admin.ts quarantine <kind> <id> <reason...>
 * Connects to AM_NATS_URL, or to the local node's nats-server (AM_HOST:AM_NATS_PORT).
 */
import { loadConfig } from "../infra/config/index.ts";
import { connectNats } from "../infra/nats/index.ts";
import { admin } from "../supervisors/node/admin-client.ts";

const [verb, kind, id, ...rest] = process.argv.slice(2);
const usage = "usage: scripts/admin.ts tree | nodes | status|restart|stop|spawn|release <kind> <id> | quarantine <kind> <id> <reason>";
if (!verb) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
const config = loadConfig();
const nc = await connectNats(config.natsUrl ?? `nats://${config.host}:${config.natsPort}`, "alphamind-admin-cli");
try {
  let message: { type: string; [k: string]: unknown };
  if (verb === "tree" || verb === "nodes") message = { type: "AdminTreeRequest" };
  else if (!kind || !id) throw new Error(`${verb} needs <kind> <id>\n${usage}`);
  else if (verb === "quarantine") message = { type: "AdminQuarantineRequest", kind, id, reason: rest.join(" ") || "operator" };
  else message = { type: "AdminActorRequest", kind, id };
  if (verb === "tree") {
    // every node answers with its own tree
    const { encodeMessage, decodeMessage } = await import("../infra/nats/codec.ts");
    const { data, headers } = encodeMessage(message);
    for await (const m of await nc.requestMany("am.admin.tree", data, { headers, maxWait: 1_000 })) {
      process.stdout.write(`${JSON.stringify(decodeMessage(m.data, m.headers, true).message.result, null, 2)}\n`);
    }
  } else {
    const reply = await admin(nc, verb, message);
    process.stdout.write(`${JSON.stringify(reply.ok ? reply.result ?? "ok" : reply.error, null, 2)}\n`);
    if (!reply.ok) process.exitCode = 1;
  }
} catch (e) {
  process.stderr.write(`admin: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await nc.close();
}
