/**
 * The admin API from a terminal:
 *   node --import tsx scripts/admin.ts tree
 *   node --import tsx scripts/admin.ts nodes
 *   node --import tsx scripts/admin.ts status|restart|stop|spawn|release <kind> <id>
 *   node --import tsx scripts/admin.ts quarantine <kind> <id> <reason...>
 *   node --import tsx scripts/admin.ts set-limits <book> '<json>'        (risk limits, kept in KV under this user's name)
 *   node --import tsx scripts/admin.ts set-params <strategy> '<json>'    (strategy parameters, likewise)
 *   node --import tsx scripts/admin.ts strategies list                  (every node's strategies: id, state, node)
 *   node --import tsx scripts/admin.ts strategies deploy <id> <config.json | '<json>'>   (kept in KV, then spawned)
 *   node --import tsx scripts/admin.ts books list | get <id> | define <id> <book.json | '<json>'> | remove <id>   (risk books in KV)
 *   node --import tsx scripts/admin.ts instruments list | get <id> | load <file> | delete <id>   (definitions in KV)
 *   node --import tsx scripts/admin.ts models list | get <name> [version] | register <file.onnx> <card.json> [by] | promote|retire <name> <version>
 *   node --import tsx scripts/admin.ts analytics <book> ['<GetRiskAnalytics json>']   (the book's risk analytics, JSON)
 *   node --import tsx scripts/admin.ts proposals list <strategy> | approve|reject <strategy> <proposalId> <by> [reason...]
 *   node --import tsx scripts/admin.ts models shadow <name> <version> | canary <name> <version> <share> | end-challenge <name> | challenges
 *     (a challenger beside the promoted version, kept in the registry: every node serving the model runs it)
 *   node --import tsx scripts/admin.ts retrain list | get <name> | define <name> <retrain.json | '<json>'> | remove <name>
 *     (rolling retrains: kept in KV under this user's name, each run by one node; fields checked by name)
 * Connects to AM_NATS_URL, or to the local node's nats-server (AM_HOST:AM_NATS_PORT).
 */
import { loadConfig } from "../infra/config/index.ts";
import { definitionRecord } from "../actors/instrument/index.ts";
import {
  connectNats,
  natsClientOf,
  deleteDefinition,
  getDefinition,
  loadCatalogue,
  openInstrumentBucket,
  putDefinitions,
  readDefinitionsFile,
} from "../infra/nats/index.ts";
import { Kvm } from "@nats-io/kv";
import { buckets } from "../infra/nats/resources.ts";
import { readFileSync } from "node:fs";
import { ModelCard } from "../actors/model/index.ts";
import { ModelRegistry } from "../infra/models/index.ts";
import { admin } from "../supervisors/node/admin-client.ts";
import { type BookDefinition, bookDefinitionKey } from "../supervisors/node/kinds/book-definitions.ts";
import { kvKey } from "../infra/nats/snapshot-store.ts";
import { errorMessage } from "../actors/contract/index.ts";

const [verb, kind, id, ...rest] = process.argv.slice(2);
const usage =
  "usage: scripts/admin.ts tree | nodes | status|restart|stop|spawn|release <kind> <id> | quarantine <kind> <id> <reason> | set-limits <book> <json> | set-params <strategy> <json> | strategies list | strategies deploy <id> <config.json> | books list|get <id>|define <id> <book.json>|remove <id> | instruments list|get <id>|load <file>|delete <id> | models list|get|register|promote|retire | analytics <book> [json] | proposals list <strategy> | proposals approve|reject <strategy> <proposalId> <by> [reason] | retrain list|get <name>|define <name> <json>|remove <name>";
("usage: scripts/admin.ts tree | nodes | status|restart|stop|spawn|release <kind> <id> | quarantine <kind> <id> <reason> | set-limits <book> <json> | set-params <strategy> <json> | strategies list | strategies deploy <id> <config.json> | books list|get <id>|define <id> <book.json>|remove <id> | instruments list|get <id>|load <file>|delete <id> | models list|get|register|promote|retire|shadow|canary|end-challenge|challenges");
if (!verb) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
const config = loadConfig();
// An operator's connection: the node names this user in the audit trail of what it asks (quarantines)
const nc = await connectNats(config.natsUrl ?? `nats://${config.host}:${config.natsPort}`, "alphamind-admin-cli", {
  ...natsClientOf(config),
  role: "operator",
});
try {
  if (verb === "set-limits" || verb === "set-params") {
    // kind is the book or strategy id here, id the JSON: a node stores it under this connection's user, and the node
    // hosting the actor applies it (supervisors/node/config-watch.ts)
    if (!kind || !id) throw new Error(`${verb} needs <id> <json>\n${usage}`);
    const reply = await admin(nc, "configure", {
      type: "AdminConfigureRequest",
      section: verb === "set-limits" ? "limits" : "params",
      id: kind,
      value: id,
    });
    if (!reply.ok) throw new Error(`${verb} ${kind} refused (${reply.error?.code}): ${reply.error?.message}`);
    const { key, by } = reply.result as { key: string; by: string };
    process.stdout.write(`stored ${key} as ${by}; the actor's node applies it (watch the node's log or am.evt)\n`);
    process.exit(0);
  }
  if (verb === "retrain") {
    await retrainSchedules(kind, id, rest[0]);
    process.exit(process.exitCode ?? 0);
  }
  if (verb === "models") {
    await models(kind, id, rest);
    process.exit(process.exitCode ?? 0);
  }
  if (verb === "strategies") {
    await strategies(kind, id, rest[0]);
    process.exit(process.exitCode ?? 0);
  }
  if (verb === "analytics" || verb === "proposals") {
    await riskDesk(verb, kind, id, rest);
    process.exit(process.exitCode ?? 0);
  }
  if (verb === "books") {
    await riskBooks(kind, id, rest[0]);
    process.exit(process.exitCode ?? 0);
  }
  if (verb === "instruments") {
    // kind is the sub-command here, id its argument; nodes start an instrument actor for each definition added
    const kv = await openInstrumentBucket(nc);
    if (kind === "list") {
      const all = await loadCatalogue(kv, { onInvalid: (key, e) => process.stderr.write(`refused ${key}: ${e.message}\n`) });
      for (const d of all.values()) {
        const r = definitionRecord(d);
        process.stdout.write(
          `${r.id}  ${r.assetClass} ${r.currency} tick=${r.priceIncrement} lot=${r.lotSize} multiplier=${r.multiplier}${r.sector ? ` sector=${r.sector}` : ""}\n`,
        );
      }
      process.stderr.write(`${all.size} instruments\n`);
    } else if (kind === "get" && id) {
      const d = await getDefinition(kv, id);
      if (!d) throw new Error(`instrument ${id} is not defined`);
      process.stdout.write(`${JSON.stringify(definitionRecord(d), null, 2)}\n`);
    } else if (kind === "load" && id) {
      // every definition is checked before any is stored: one bad definition loads nothing
      const r = await (async () => putDefinitions(kv, readDefinitionsFile(id)))().catch((e: Error) =>
        Promise.reject(new Error(`${e.message}\nnothing stored`)),
      );
      process.stdout.write(`stored ${r.written.length} (${r.written.join(", ") || "none"}); ${r.kept.length} unchanged\n`);
    } else if (kind === "delete" && id) {
      if (!(await getDefinition(kv, id).catch(() => true))) throw new Error(`instrument ${id} is not defined`);
      await deleteDefinition(kv, id);
      process.stdout.write(`deleted ${id}; a running instrument actor keeps its definition until it restarts\n`);
    } else throw new Error(`instruments needs list | get <id> | load <file> | delete <id>\n${usage}`);
    process.exit(0);
  }
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
    process.stdout.write(`${JSON.stringify(reply.ok ? (reply.result ?? "ok") : reply.error, null, 2)}\n`);
    if (!reply.ok) process.exitCode = 1;
  }
} catch (e) {
  process.stderr.write(`admin: ${errorMessage(e)}\n`);
  process.exitCode = 1;
} finally {
  await nc.close();
}

/** The model registry (files in the am-models object store, cards in the am-model-cards bucket). */
async function models(sub: string | undefined, name: string | undefined, args: string[]): Promise<void> {
  const registry = await ModelRegistry.open(nc);
  const version = (v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`models ${sub}: version must be a positive integer, got ${v ?? "nothing"}`);
    return n;
  };
  if (sub === "list") {
    for (const m of await registry.list()) {
      process.stdout.write(
        `${JSON.stringify({ name: m.name, version: m.version, status: m.status, promoted: m.promoted, ic: m.validation.ic, registeredBy: m.registeredBy })}\n`,
      );
    }
  } else if (sub === "get" && name) {
    const { card } = await registry.get(name, args[0] === undefined ? undefined : version(args[0]));
    process.stdout.write(`${JSON.stringify(card, null, 2)}\n`);
  } else if (sub === "register" && name && args[0]) {
    const card = ModelCard.parse(JSON.parse(readFileSync(args[0], "utf8")));
    const stored = await registry.register(card, new Uint8Array(readFileSync(name)), args[1] ?? process.env.USER ?? "admin-cli");
    process.stdout.write(`registered ${stored.name} v${stored.version} (${stored.sha256})\n`);
  } else if ((sub === "promote" || sub === "retire") && name) {
    await registry[sub](name, version(args[0]));
    process.stdout.write(`${sub === "promote" ? "promoted" : "retired"} ${name} v${args[0]}\n`);
  } else if ((sub === "shadow" || sub === "canary") && name) {
    const share = sub === "canary" ? Number(args[1]) : undefined;
    const c = await registry.startChallenge(name, version(args[0]), sub, share, process.env.USER ?? "admin-cli");
    process.stdout.write(
      `${name} v${c.version} challenges the promoted version in ${c.mode}${c.share !== undefined ? ` (share ${c.share})` : ""}; the nodes serving ${name} run it\n`,
    );
  } else if (sub === "end-challenge" && name) {
    const ended = await registry.endChallenge(name);
    if (!ended) throw new Error(`models end-challenge: model ${name} has no challenge`);
    process.stdout.write(`ended the ${ended.mode} of ${name} v${ended.version}; the promoted version answers everything\n`);
  } else if (sub === "challenges") {
    for (const c of await registry.challenges()) process.stdout.write(`${JSON.stringify(c)}\n`);
  } else
    throw new Error(
      "models needs list | get <name> [version] | register <file.onnx> <card.json> [by] | promote|retire <name> <version> | shadow <name> <version> | canary <name> <version> <share> | end-challenge <name> | challenges",
    );
}

/** `strategies list`: every node's answer to am.admin.list; `strategies deploy <id> <config>`: am.admin.deploy. */
async function strategies(sub: string | undefined, id: string | undefined, config: string | undefined): Promise<void> {
  const { encodeMessage, decodeMessage } = await import("../infra/nats/codec.ts");
  if (sub === "list") {
    const { data, headers } = encodeMessage({ type: "AdminListRequest", kind: "strategy" });
    const rows: string[] = [];
    for await (const m of await nc.requestMany("am.admin.list", data, { headers, strategy: "stall", stall: 300, maxWait: 2_000 })) {
      const reply = decodeMessage(m.data, m.headers, true).message as {
        result?: { actors?: { id: string; status: string; node: string; summary?: { state?: string } }[] };
      };
      for (const a of reply.result?.actors ?? [])
        rows.push(`${a.id}\t${a.status === "running" ? (a.summary?.state ?? a.status) : a.status}\t${a.node}`);
    }
    process.stdout.write(`id\tstate\tnode\n${rows.sort().join("\n")}\n`);
    return;
  }
  if (sub !== "deploy" || !id || !config) throw new Error(`strategies needs list | deploy <id> <config.json>\n${usage}`);
  const { readFileSync } = await import("node:fs");
  const text = config.trim().startsWith("{") ? config : readFileSync(config, "utf8");
  const reply = await admin(nc, "deploy", {
    type: "AdminDeployRequest",
    kind: "strategy",
    id,
    config: JSON.parse(text) as Record<string, unknown>,
  });
  process.stdout.write(`${JSON.stringify(reply.ok ? reply.result : reply.error, null, 2)}\n`);
  if (!reply.ok) process.exitCode = 1;
}

/**
 * Risk books defined in KV (`books.<id>`): `define` goes through am.admin.deploy, so the node checks the whole
 * definition (limits, instruments, strategies) before storing anything and spawns the book with its strategies;
 * `remove` stops them (placement's `actors.` records) and then deletes the definition.
 */
/** Rolling retrains: defined and removed through the admin API (a node checks and stores them), listed from KV. */
async function retrainSchedules(sub: string | undefined, name: string | undefined, definition: string | undefined): Promise<void> {
  const kv = await new Kvm(nc).open(buckets.config);
  const configure = async (value: string) => {
    const reply = await admin(nc, "configure", { type: "AdminConfigureRequest", section: "retrain", id: name, value }, 30_000);
    if (!reply.ok) throw new Error(`retrain ${sub} ${name} refused (${reply.error?.code}): ${reply.error?.message}`);
    process.stdout.write(`${JSON.stringify(reply.result, null, 2)}\n`);
  };
  if (sub === "list") {
    for await (const key of await kv.keys("retrain.>")) {
      const e = await kv.get(key);
      if (e?.operation === "PUT") process.stdout.write(`${key.slice("retrain.".length)}\t${e.string()}\n`);
    }
  } else if (sub === "get" && name) {
    const e = await kv.get(`retrain.${name}`);
    if (e?.operation !== "PUT") throw new Error(`retrain schedule ${name} is not defined`);
    process.stdout.write(`${JSON.stringify(e.json(), null, 2)}\n`);
  } else if (sub === "define" && name && definition) {
    await configure(definition.trim().startsWith("{") ? definition : readFileSync(definition, "utf8"));
  } else if (sub === "remove" && name) {
    await configure(JSON.stringify({ remove: true }));
  } else throw new Error(`retrain needs list | get <name> | define <name> <json> | remove <name>\n${usage}`);
}

async function riskBooks(sub: string | undefined, id: string | undefined, config: string | undefined): Promise<void> {
  const kv = await new Kvm(nc).open(buckets.config);
  const stored = async (book: string): Promise<BookDefinition> => {
    const e = await kv.get(bookDefinitionKey(book));
    if (e?.operation !== "PUT") throw new Error(`risk book ${book} is not defined in KV (the demo book is built in)`);
    return e.json<BookDefinition>();
  };
  if (sub === "list") {
    const rows = ["demo\t(built in)"];
    for await (const key of await kv.keys("books.>")) {
      const book = key.slice("books.".length);
      const d = await stored(book).catch(() => undefined);
      if (d) rows.push(`${book}\tinstruments=${d.instruments.length}\tstrategies=${Object.keys(d.strategies).join(",") || "none"}`);
    }
    process.stdout.write(`${rows.sort().join("\n")}\n`);
  } else if (sub === "get" && id) {
    process.stdout.write(`${JSON.stringify(await stored(id), null, 2)}\n`);
  } else if (sub === "define" && id && config) {
    const text = config.trim().startsWith("{") ? config : readFileSync(config, "utf8");
    const reply = await admin(nc, "deploy", {
      type: "AdminDeployRequest",
      kind: "risk-book",
      id,
      config: JSON.parse(text) as Record<string, unknown>,
    });
    process.stdout.write(`${JSON.stringify(reply.ok ? reply.result : reply.error, null, 2)}\n`);
    if (!reply.ok) process.exitCode = 1;
  } else if (sub === "remove" && id) {
    const d = await stored(id);
    for (const sid of Object.keys(d.strategies)) await kv.delete(`actors.${kvKey("strategy", sid)}`);
    await kv.delete(`actors.${kvKey("risk-book", id)}`);
    await kv.delete(bookDefinitionKey(id));
    process.stdout.write(`removed ${id} and its strategies (${Object.keys(d.strategies).join(", ") || "none"}); its journal stays\n`);
  } else throw new Error(`books needs list | get <id> | define <id> <book.json> | remove <id>\n${usage}`);
}

/**
 * `analytics <book> [json]`: GetRiskAnalytics to the book (the request's fields as JSON, defaults otherwise);
 * `proposals list <strategy>`: its pending proposal; `proposals approve|reject <strategy> <id> <by> [reason]`: the
 * decision, signed with `by` (the operator the strategy's ProposalApproved / ProposalRejected event records).
 */
async function riskDesk(verb: string, a: string | undefined, b: string | undefined, rest: string[]): Promise<void> {
  const { command } = await import("../supervisors/node/admin-client.ts");
  const now = Date.now() * 1000;
  const stamp = { tsEvent: now, tsInit: now };
  let reply: Awaited<ReturnType<typeof command>>;
  if (verb === "analytics") {
    if (!a) throw new Error(`analytics needs <book>\n${usage}`);
    const fields = b ? (JSON.parse(b) as Record<string, unknown>) : {};
    reply = await command(nc, "risk-book", a, { ...fields, type: "GetRiskAnalytics", ...stamp }, 30_000);
  } else if (a === "list" && b) {
    reply = await command(nc, "strategy", b, { type: "GetProposals", ...stamp });
  } else if ((a === "approve" || a === "reject") && b && rest[0] && rest[1]) {
    const [proposalId, by, ...why] = rest as [string, string, ...string[]];
    const reason = why.join(" ");
    reply = await command(nc, "strategy", b, {
      type: a === "approve" ? "ApproveProposal" : "RejectProposal",
      proposalId,
      by,
      ...(reason ? { reason } : {}),
      ...stamp,
    });
  } else throw new Error(`proposals needs list <strategy> | approve|reject <strategy> <proposalId> <by> [reason]\n${usage}`);
  process.stdout.write(
    `${JSON.stringify(reply.ok ? reply.result : reply.error, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
  );
  if (!reply.ok) process.exitCode = 1;
}
