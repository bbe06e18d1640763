import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage, systemClock } from "../../actors/contract/index.ts";
import { BucketWatch } from "../../infra/nats/bucket-watch.ts";
import { buckets } from "../../infra/nats/resources.ts";
import { kvKey, parseKvKey } from "../../infra/nats/snapshot-store.ts";
import type { Logger } from "../../infra/telemetry/log.ts";
import { command } from "./admin-client.ts";

/**
 * Run-time configuration in KV, applied to the actors it concerns: risk limits under `limits.<book>` and strategy
 * parameters under `params.<strategy>` (JSON text, so operators can edit them with any KV client). A change
 * becomes a command to the actor (SetRiskLimits, SetStrategyParameters), which validates it and journals or
 * publishes the audited change; a bad value is refused by the actor, named in the log, and changes nothing.
 * Only the node hosting the actor applies it, and again whenever the actor is placed on a node.
 */
const targets = {
  limits: {
    kind: "risk-book",
    message: (json: unknown, by: string) => ({ type: "SetRiskLimits", limits: json, by, reason: "configuration in KV" }),
  },
  params: { kind: "strategy", message: (json: unknown) => ({ type: "SetStrategyParameters", parameters: json }) },
} as const;
type Section = keyof typeof targets;

export const configKey = (section: Section, id: string): string => `${section}.${kvKey(targets[section].kind, id).split(".")[1]}`;

export class ConfigWatch {
  private watch: BucketWatch | undefined;
  private readonly latest = new Map<string, { section: Section; id: string; text: string }>();

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
        this.latest.set(e.key, { section, id, text: text.decode(e.value) });
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
    const reply = await command(this.nc, t.kind, v.id, { ...t.message(json, `kv:${key}`), tsEvent: now, tsInit: now }).catch(
      (e: Error) => ({ ok: false, error: { code: "unreachable", message: e.message } }),
    );
    if (reply.ok) this.log.info("configuration applied", { key, actor: `${t.kind}/${v.id}` });
    else
      this.log.error("configuration refused", { key, actor: `${t.kind}/${v.id}`, code: reply.error?.code, reason: reply.error?.message });
  }

  /** Ends the watch and deletes its consumer. */
  async stop(): Promise<void> {
    await this.watch?.stop();
  }
}
