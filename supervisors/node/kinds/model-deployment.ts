import type { NatsConnection } from "@nats-io/transport-node";
import { errorMessage } from "../../../actors/contract/index.ts";
import type { ChallengeSpec, ModelFile } from "../../../actors/model/index.ts";
import { ModelRegistry, registryBuckets, servingChange, servingKeys } from "../../../infra/models/index.ts";
import { type BucketEntry, BucketWatch } from "../../../infra/nats/bucket-watch.ts";
import type { Logger } from "../../../infra/telemetry/index.ts";

/** What a model's actor is told when the registry changes while it runs (on its command subject). */
export type ServingCommand =
  | { type: "PromoteVersion"; version: number }
  | { type: "StartChallenger"; version: number; mode: ChallengeSpec["mode"]; share?: number }
  | { type: "StopChallenger" };

export interface ModelDeploymentOptions {
  /** the node (or cell) id: the watch's consumer is named after it */
  owner: string;
  log: Logger;
  /** the model's actor runs here (its inference sessions are open on this node) */
  serves(name: string): boolean;
  /** hands a command to the model's actor */
  tell(name: string, command: ServingCommand): void;
}

/**
 * A node's models as the registry says: each model's promoted version and its challenge, with their files, kept
 * current by one watch of the cards bucket. A promotion or a challenge set after the node started (by the admin
 * CLI, gRPC or another node) is told to the model's actor where it runs here; an actor that starts later reads
 * them from here. A change is applied only once its file is fetched, in the order the bucket stored them.
 */
export class ModelDeployment {
  /** name → version → file: the promoted version, the one before it (its batches in flight) and the challenger */
  private readonly files = new Map<string, Map<number, ModelFile>>();
  private readonly promoted = new Map<string, number>();
  private readonly challenges = new Map<string, ChallengeSpec>();
  /** the version each promotion replaced: its last batches may still be scored */
  private readonly previous = new Map<string, number>();
  private applying: Promise<void> = Promise.resolve();
  private watch: BucketWatch | undefined;

  private constructor(
    private readonly registry: ModelRegistry | undefined,
    private readonly o: ModelDeploymentOptions,
  ) {}

  /** The registry's models as they are now, followed from then on; none where there is no registry. */
  static async follow(nc: NatsConnection, o: ModelDeploymentOptions): Promise<ModelDeployment> {
    const registry = await ModelRegistry.existing(nc).catch((e: unknown) => {
      o.log.warn("models not deployed: the registry could not be read", { error: errorMessage(e) });
      return undefined;
    });
    const d = new ModelDeployment(registry, o);
    if (!registry) return d;
    d.watch = new BucketWatch(nc, {
      bucket: registryBuckets.cards,
      filter: servingKeys,
      owner: o.owner,
      log: o.log,
      onEntry: (e) => {
        d.applying = d.applying.then(() => d.apply(e));
      },
    });
    await d.watch.start();
    await d.applying;
    return d;
  }

  /** A model's promoted version (the deployed one) or, where named, another version held here. */
  modelOf(name: string, version?: number): ModelFile | undefined {
    const v = version ?? this.promoted.get(name);
    return v === undefined ? undefined : this.files.get(name)?.get(v);
  }

  challengeOf(name: string): ChallengeSpec | undefined {
    return this.challenges.get(name);
  }

  /** The deployed models' names. */
  names(): string[] {
    return [...this.promoted.keys()].sort();
  }

  /** Each deployed model's promoted version. */
  deployed(): Map<string, ModelFile> {
    return new Map(this.names().flatMap((n) => (this.modelOf(n) ? [[n, this.modelOf(n)!] as const] : [])));
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
  }

  private async apply(e: BucketEntry): Promise<void> {
    try {
      const change = servingChange(e.key, e.operation, e.value);
      if (!change) return;
      if ("promoted" in change) await this.promote(change.name, change.promoted, e.initial);
      else await this.challenge(change.name, change.challenge, e.initial);
    } catch (err) {
      // the node serves on with what it had: the operator sees why in the log and can promote again
      this.o.log.warn("model registry change not applied", { key: e.key, revision: e.revision, error: errorMessage(err) });
    }
  }

  private async promote(name: string, version: number, initial: boolean): Promise<void> {
    if (this.promoted.get(name) === version) return;
    await this.fetch(name, version);
    const before = this.promoted.get(name);
    this.promoted.set(name, version);
    if (before !== undefined) this.previous.set(name, before);
    this.prune(name);
    if (initial) return;
    const here = this.o.serves(name);
    this.o.log.info("model promoted in the registry", { model: name, version, before, actorHere: here });
    if (here) this.o.tell(name, { type: "PromoteVersion", version });
  }

  private async challenge(name: string, c: ChallengeSpec | undefined, initial: boolean): Promise<void> {
    if (c) await this.fetch(name, c.version);
    if (c) this.challenges.set(name, { version: c.version, mode: c.mode, ...(c.share !== undefined ? { share: c.share } : {}) });
    else this.challenges.delete(name);
    this.prune(name);
    if (initial) return;
    const here = this.o.serves(name);
    this.o.log.info(c ? "model challenge started in the registry" : "model challenge ended in the registry", {
      model: name,
      ...(c ? { version: c.version, mode: c.mode, share: c.share } : {}),
      actorHere: here,
    });
    if (!here) return;
    if (c)
      this.o.tell(name, {
        type: "StartChallenger",
        version: c.version,
        mode: c.mode,
        ...(c.share !== undefined ? { share: c.share } : {}),
      });
    else this.o.tell(name, { type: "StopChallenger" });
  }

  private async fetch(name: string, version: number): Promise<void> {
    if (this.files.get(name)?.has(version)) return;
    const { card, bytes } = await this.registry!.get(name, version);
    const versions = this.files.get(name) ?? new Map<number, ModelFile>();
    versions.set(version, { card, bytes });
    this.files.set(name, versions);
  }

  /** Keeps the files of the promoted version, the one it replaced and the challenger; older ones are let go. */
  private prune(name: string): void {
    const keep = new Set([this.promoted.get(name), this.previous.get(name), this.challenges.get(name)?.version]);
    const versions = this.files.get(name);
    for (const v of [...(versions?.keys() ?? [])]) if (!keep.has(v)) versions!.delete(v);
  }
}
