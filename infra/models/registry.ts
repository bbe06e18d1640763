import { Kvm, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import ort from "onnxruntime-node";
import { type ChallengerMode, ModelCard, sha256Of, signatureMismatches } from "../../actors/model/index.ts";
import { errorMessage } from "../../actors/contract/index.ts";

/** The registry's places on JetStream: model files in an object store, their cards in KV. */
export const registryBuckets = { files: "am-models", cards: "am-model-cards" } as const;

export type ModelStatus = "registered" | "retired";
export interface RegisteredModel extends ModelCard {
  registeredAtUs: number;
  status: ModelStatus;
  promoted: boolean;
}

/** A version tried beside a model's promoted one, as the registry keeps it: every node serving the model runs it. */
export interface ModelChallenge {
  name: string;
  version: number;
  mode: ChallengerMode;
  /** canary: the share of requests it answers, in (0, 1) */
  share?: number;
  startedBy: string;
  startedAtUs: number;
}

/** A request the registry refuses: the reason, and the field of the request it is about where there is one. */
export class ModelRefused extends Error {
  override name = "ModelRefused";
  constructor(
    message: string,
    readonly field?: "name" | "version" | "mode" | "share",
  ) {
    super(message);
  }
}

const cardKey = (name: string, version: number) => `${name}.v${version}`;
const promotedKey = (name: string) => `${name}.promoted`;
const challengeKey = (name: string) => `${name}.challenge`;
/** a version's card key (`<name>.v<version>`), as against a model's promoted and challenge keys */
const isCardKey = (key: string) => /\.v\d+$/.test(key);
const fileName = (name: string, version: number) => `${name}/v${version}.onnx`;

/**
 * The model registry on NATS: each version's file in the object store and its card (name, version, hash, inputs
 * and outputs, feature set, training range, validation metrics, who registered it and when) in KV, plus the
 * promoted version of each model. Registering checks the bytes against the card's hash, loads them and compares
 * the signature with the card's features; a refusal names the reason and stores nothing.
 */
export class ModelRegistry {
  private constructor(
    private readonly files: ObjectStore,
    private readonly cards: KV,
    private readonly nowUs: () => number,
  ) {}

  static async open(nc: NatsConnection, opts: { replicas?: number; nowUs?: () => number } = {}): Promise<ModelRegistry> {
    const replicas = opts.replicas ?? 1;
    const files = await new Objm(nc).create(registryBuckets.files, { description: "Model files (ONNX), one object per version", replicas });
    const cards = await new Kvm(nc).create(registryBuckets.cards, {
      description: "Model cards by <name>.v<version>, <name>.promoted and <name>.challenge",
      history: 5,
      replicas,
    });
    return new ModelRegistry(files, cards, opts.nowUs ?? (() => Date.now() * 1000));
  }

  /** The registry where its buckets exist (whoever registered a model made them); undefined where they do not. */
  static async existing(nc: NatsConnection, opts: { nowUs?: () => number } = {}): Promise<ModelRegistry | undefined> {
    let files: ObjectStore;
    try {
      files = await new Objm(nc).open(registryBuckets.files);
    } catch (e) {
      if (/not found/i.test(errorMessage(e))) return undefined;
      throw e;
    }
    const cards = await new Kvm(nc).open(registryBuckets.cards);
    return new ModelRegistry(files, cards, opts.nowUs ?? (() => Date.now() * 1000));
  }

  async register(card: ModelCard, bytes: Uint8Array, registeredBy: string): Promise<RegisteredModel> {
    const parsed = ModelCard.safeParse(card);
    if (!parsed.success)
      throw new ModelRefused(`model card: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const c = parsed.data;
    const label = `model ${c.name} v${c.version}`;
    const hash = sha256Of(bytes);
    if (hash !== c.sha256) throw new ModelRefused(`${label}: the file's sha256 is ${hash}, the card says ${c.sha256}`);
    if (bytes.length !== c.bytes) throw new ModelRefused(`${label}: the file has ${bytes.length} bytes, the card says ${c.bytes}`);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes);
    } catch (e) {
      throw new ModelRefused(`${label}: the file does not load: ${errorMessage(e)}`);
    }
    const describe = (names: readonly string[], meta: readonly ort.InferenceSession.ValueMetadata[]) =>
      names.map((n, i) => {
        const m = meta[i];
        return m?.isTensor ? { name: n, type: m.type, shape: m.shape } : { name: n };
      });
    const wrong = signatureMismatches(
      c,
      describe(session.inputNames, session.inputMetadata),
      describe(session.outputNames, session.outputMetadata),
    );
    await session.release();
    if (wrong.length) throw new ModelRefused(`${label}: the file does not match its card: ${wrong.join("; ")}`);
    if (await this.cards.get(cardKey(c.name, c.version))) throw new ModelRefused(`${label} is registered already; register a new version`);

    const stored: RegisteredModel = { ...c, registeredBy, registeredAtUs: this.nowUs(), status: "registered", promoted: false };
    await this.files.putBlob({ name: fileName(c.name, c.version), description: `${label} (${hash})` }, bytes);
    try {
      // create, not put: two registrations of one version race to one winner
      await this.cards.create(cardKey(c.name, c.version), JSON.stringify(stored));
    } catch (e) {
      await this.files.delete(fileName(c.name, c.version));
      throw new ModelRefused(`${label}: not registered: ${errorMessage(e)}`);
    }
    return stored;
  }

  async list(): Promise<RegisteredModel[]> {
    const keys: string[] = [];
    for await (const k of await this.cards.keys()) if (isCardKey(k)) keys.push(k);
    const out: RegisteredModel[] = [];
    for (const k of keys.sort()) {
      const m = await this.card(k);
      if (m) out.push(m);
    }
    return out;
  }

  /** A version's card and its file, checked against the card's hash; the promoted version when none is named. */
  async get(name: string, version?: number): Promise<{ card: RegisteredModel; bytes: Uint8Array }> {
    const v = version ?? (await this.promotedVersion(name));
    if (v === undefined) throw new Error(`model ${name} has no promoted version; name one`);
    const card = await this.card(cardKey(name, v));
    if (!card) throw new Error(`model ${name} v${v} is not registered`);
    const bytes = await this.files.getBlob(fileName(name, v));
    if (!bytes) throw new Error(`model ${name} v${v}: its file ${fileName(name, v)} is missing from ${registryBuckets.files}`);
    const hash = sha256Of(bytes);
    if (hash !== card.sha256) throw new Error(`model ${name} v${v}: the stored file's sha256 is ${hash}, its card says ${card.sha256}`);
    return { card, bytes };
  }

  /** Each model's promoted version with its file (checked against its card): what a node deploys. */
  async promotedModels(): Promise<{ card: RegisteredModel; bytes: Uint8Array }[]> {
    const names = new Set((await this.list()).filter((m) => m.promoted).map((m) => m.name));
    return Promise.all([...names].sort().map((n) => this.get(n)));
  }

  async promote(name: string, version: number): Promise<void> {
    const card = await this.card(cardKey(name, version));
    if (!card) throw new ModelRefused(`model ${name} v${version} is not registered`);
    if (card.status === "retired") throw new ModelRefused(`model ${name} v${version} is retired`);
    await this.cards.put(promotedKey(name), String(version));
    // the challenger promoted is the champion now: nodes end its challenge as the actors do
    if ((await this.challenge(name))?.version === version) await this.cards.delete(challengeKey(name));
  }

  async retire(name: string, version: number): Promise<void> {
    const key = cardKey(name, version);
    const entry = await this.cards.get(key);
    if (entry?.operation !== "PUT") throw new ModelRefused(`model ${name} v${version} is not registered`);
    if ((await this.promotedVersion(name)) === version)
      throw new ModelRefused(`model ${name} v${version} is promoted; promote another version first`);
    if ((await this.challenge(name))?.version === version)
      throw new ModelRefused(`model ${name} v${version} is the challenger; end the challenge first`);
    const card = { ...(JSON.parse(entry.string()) as RegisteredModel), status: "retired" as const };
    await this.cards.update(key, JSON.stringify(card), entry.revision);
  }

  async promotedVersion(name: string): Promise<number | undefined> {
    const e = await this.cards.get(promotedKey(name));
    return e?.operation === "PUT" ? Number(e.string()) : undefined;
  }

  /**
   * Starts trying a version beside the promoted one (shadow: scored and compared, never answered; canary: answers
   * `share` of the requests), replacing any challenge the model had. The version must be registered, not retired,
   * not the promoted one, and take the promoted version's features; a refusal names the field and stores nothing.
   */
  async startChallenge(
    name: string,
    version: number,
    mode: ChallengerMode,
    share: number | undefined,
    startedBy: string,
  ): Promise<ModelChallenge> {
    const label = `model ${name} v${version}`;
    if (mode !== "shadow" && mode !== "canary") throw new ModelRefused(`mode must be shadow or canary, got ${String(mode)}`, "mode");
    if (mode === "canary" && (share === undefined || !(share > 0 && share < 1)))
      throw new ModelRefused(`a canary needs share in (0, 1) (a whole share is a promotion), got ${share}`, "share");
    if (mode === "shadow" && share !== undefined && share !== 0)
      throw new ModelRefused(`a shadow scores every request and takes no share, got ${share}`, "share");
    const promoted = await this.promotedVersion(name);
    if (promoted === undefined) throw new ModelRefused(`model ${name} has no promoted version to challenge`, "name");
    const card = await this.card(cardKey(name, version));
    if (!card) throw new ModelRefused(`${label} is not registered`, "version");
    if (card.status === "retired") throw new ModelRefused(`${label} is retired`, "version");
    if (version === promoted) throw new ModelRefused(`${label} is the promoted version; a challenger is another version`, "version");
    const champion = await this.card(cardKey(name, promoted));
    const theirs = card.featureSet.features.join(", ");
    const ours = champion?.featureSet.features.join(", ");
    if (theirs !== ours)
      throw new ModelRefused(
        `${label} takes features ${theirs}, the promoted v${promoted} ${ours}: it cannot score the same rows`,
        "version",
      );
    const challenge: ModelChallenge = {
      name,
      version,
      mode,
      ...(mode === "canary" ? { share } : {}),
      startedBy,
      startedAtUs: this.nowUs(),
    };
    await this.cards.put(challengeKey(name), JSON.stringify(challenge));
    return challenge;
  }

  /** Ends the model's challenge; the challenge that ended, or undefined where there was none. */
  async endChallenge(name: string): Promise<ModelChallenge | undefined> {
    const ended = await this.challenge(name);
    if (ended) await this.cards.delete(challengeKey(name));
    return ended;
  }

  async challenge(name: string): Promise<ModelChallenge | undefined> {
    const e = await this.cards.get(challengeKey(name));
    return e?.operation === "PUT" ? (JSON.parse(e.string()) as ModelChallenge) : undefined;
  }

  /** Every model's challenge, by name. */
  async challenges(): Promise<ModelChallenge[]> {
    const names: string[] = [];
    for await (const k of await this.cards.keys(challengeKey("*"))) names.push(k.slice(0, -".challenge".length));
    const all = await Promise.all(names.sort().map((n) => this.challenge(n)));
    return all.filter((c): c is ModelChallenge => c !== undefined);
  }

  private async card(key: string): Promise<RegisteredModel | undefined> {
    const e = await this.cards.get(key);
    if (e?.operation !== "PUT") return undefined;
    const m = JSON.parse(e.string()) as RegisteredModel;
    return { ...m, promoted: (await this.promotedVersion(m.name)) === m.version };
  }
}

/** The keys of the cards bucket a serving node watches: each model's promoted version and its challenge. */
export const servingKeys = ["*.promoted", "*.challenge"];

/** What one entry of the cards bucket changes for a node serving models. */
export type ServingChange = { name: string; promoted: number } | { name: string; challenge: ModelChallenge | undefined };

/** One watched entry (key, operation, value) as a change of what is served; undefined for another key. */
export function servingChange(key: string, operation: "PUT" | "DEL" | "PURGE", value: Uint8Array): ServingChange | undefined {
  const dot = key.lastIndexOf(".");
  const name = key.slice(0, dot);
  const what = key.slice(dot + 1);
  const text = new TextDecoder().decode(value);
  if (what === "promoted" && operation === "PUT") return { name, promoted: Number(text) };
  if (what === "challenge") return { name, challenge: operation === "PUT" ? (JSON.parse(text) as ModelChallenge) : undefined };
  return undefined;
}
