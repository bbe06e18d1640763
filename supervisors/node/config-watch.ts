import { jetstream } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { errorMessage, systemClock } from "../../actors/contract/index.ts";
import { riskLimits } from "../../actors/domain/index.ts";
import { BucketWatch } from "../../infra/nats/bucket-watch.ts";
import { buckets } from "../../infra/nats/resources.ts";
import { kvKey, parseKvKey } from "../../infra/nats/snapshot-store.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import { command } from "./admin-client.ts";
import { DeployError, DeployRefusal } from "./kinds/deployments.ts";

/**
 * Run-time configuration in KV, applied to the actors it concerns: risk limits under `limits.<book>` and strategy
 * parameters under `params.<strategy>` (JSON text, so operators can edit them with any KV client). A change
 * becomes a command to the actor (SetRiskLimits, SetStrategyParameters), which validates it and journals or
 * publishes the audited change; a bad value is refused by the actor, named in the log, and changes nothing.
 * Only the node hosting the actor applies it, and again whenever the actor is placed on a node.
 *
 * Operators set these through am.admin.configure (storeConfiguration): the node that takes the request writes the
 * entry with the requester's name in its headers, a name the server gave from the connection's credentials. Operators
 * may not write these keys themselves (nats.conf), so the name on an entry is the one a node wrote.
 */
const targets = {
  limits: {
    kind: "risk-book",
    message: (json: unknown, by: string) => ({ type: "SetRiskLimits", limits: json, by, reason: "configuration in KV" }),
  },
  params: { kind: "strategy", message: (json: unknown, by: string) => ({ type: "SetStrategyParameters", parameters: json, by }) },
} as const;
export type Section = keyof typeof targets;

/** The header of a configuration entry that names who set it (`OPS/operator`), written by the node that stored it. */
export const configuredByHeader = "Am-Configured-By";

/**
 * Keeps an operator's limits or parameters (JSON text) in the config bucket under `by`, for the actor's node to
 * apply. Limits are checked here, so a bad value is refused to the operator naming its field and stores nothing;
 * parameters are checked by the strategy, against its own schema, when applied.
 */
export async function storeConfiguration(
  nc: NatsConnection,
  section: Section,
  id: string,
  text: string,
  by: string,
): Promise<{ key: string; revision: number; by: string }> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DeployError(DeployRefusal.Invalid, `value: not JSON (${errorMessage(e)})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new DeployError(DeployRefusal.Invalid, `value: ${section} must be a JSON object`);
  if (section === "limits") {
    const checked = riskLimits.safeParse(json);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new DeployError(DeployRefusal.Invalid, `value.${issue.path.map(String).join(".")}: ${issue.message}`);
    }
  }
  const key = configKey(section, id);
  const h = headers();
  h.set(configuredByHeader, by);
  // a KV put is a publish on the bucket's subject; nats.js's put takes no headers
  const ack = await jetstream(nc).publish(`$KV.${buckets.config}.${key}`, text, { headers: h });
  return { key, revision: ack.seq, by };
}

export const configKey = (section: Section, id: string): string => `${section}.${kvKey(targets[section].kind, id).split(".")[1]}`;

export class ConfigWatch {
  private watch: BucketWatch | undefined;
  private readonly latest = new Map<string, { section: Section; id: string; text: string; by: string }>();

  constructor(
    private readonly nc: NatsConnection,
    /** the node id: the watch's consumer is named after it */
    private readonly owner: string,
    private readonly hosts: (ref: { kind: string; id: string }) => boolean,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const text = new TextDecoder();
    // applied in order, one at a time, as the changes came
    let applying = Promise.resolve();
    const watch = new BucketWatch(this.nc, {
      bucket: buckets.config,
      filter: ["limits.>", "params.>"],
      owner: this.owner,
      log: this.log,
      onEntry: (e) => {
        const [section, escaped] = [e.key.slice(0, e.key.indexOf(".")) as Section, e.key.slice(e.key.indexOf(".") + 1)];
        if (!(section in targets)) return;
        const id = parseKvKey(`${targets[section].kind}.${escaped}`).id;
        if (e.operation !== "PUT") {
          this.latest.delete(e.key);
          return;
        }
        // another stream's republish could land on these keys: only what a node published itself is applied
        const republishedFrom = e.headers?.get("Nats-Stream");
        if (republishedFrom) {
          this.log.error("configuration refused: republished from another stream, not written by a node", {
            key: e.key,
            stream: republishedFrom,
          });
          return;
        }
        // an entry from before configuration went through the admin API names no one: its key stands for the operator
        const by = e.headers?.get(configuredByHeader) || `kv:${e.key}`;
        this.latest.set(e.key, { section, id, text: text.decode(e.value), by });
        if (this.hosts({ kind: targets[section].kind, id })) applying = applying.then(() => this.apply(e.key));
      },
    });
    this.watch = watch;
    await watch.start();
  }

  /** Applies the stored configuration of an actor just placed on this node. */
  async placed(ref: { kind: string; id: string }): Promise<void> {
    for (const [key, v] of this.latest) if (targets[v.section].kind === ref.kind && v.id === ref.id) await this.apply(key);
  }

  private async apply(key: string): Promise<void> {
    const v = this.latest.get(key);
    if (!v) return;
    const t = targets[v.section];
    let json: unknown;
    try {
      json = JSON.parse(v.text);
    } catch (e) {
      this.log.error("configuration refused: not JSON", { key, error: errorMessage(e) });
      return;
    }
    const now = systemClock.nowUs();
    const reply = await command(this.nc, t.kind, v.id, { ...t.message(json, v.by), tsEvent: now, tsInit: now }).catch((e: Error) => ({
      ok: false,
      error: { code: "unreachable", message: e.message },
    }));
    if (reply.ok) this.log.info("configuration applied", { key, actor: `${t.kind}/${v.id}`, by: v.by });
    else
      this.log.error("configuration refused", {
        key,
        actor: `${t.kind}/${v.id}`,
        by: v.by,
        code: reply.error?.code,
        reason: reply.error?.message,
      });
  }

  /** Ends the watch and deletes its consumer. */
  async stop(): Promise<void> {
    await this.watch?.stop();
  }
}
