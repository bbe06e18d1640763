import { Kvm, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import ort from "onnxruntime-node";
import { ModelCard, sha256Of, signatureMismatches } from "../../actors/model/index.ts";
import { errorMessage } from "../../actors/contract/index.ts";

/** The registry's places on JetStream: model files in an object store, their cards in KV. */
export const registryBuckets = { files: "am-models", cards: "am-model-cards" } as const;

export type ModelStatus = "registered" | "retired";
export interface RegisteredModel extends ModelCard {
  registeredAtUs: number;
  status: ModelStatus;
  promoted: boolean;
}

export class ModelRefused extends Error {
  override name = "ModelRefused";
}

const cardKey = (name: string, version: number) => `${name}.v${version}`;
const promotedKey = (name: string) => `${name}.promoted`;
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
      description: "Model cards by <name>.v<version>, and <name>.promoted",
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
    for await (const k of await this.cards.keys()) if (!k.endsWith(".promoted")) keys.push(k);
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
  }

  async retire(name: string, version: number): Promise<void> {
    const key = cardKey(name, version);
    const entry = await this.cards.get(key);
    if (entry?.operation !== "PUT") throw new ModelRefused(`model ${name} v${version} is not registered`);
    if ((await this.promotedVersion(name)) === version)
      throw new ModelRefused(`model ${name} v${version} is promoted; promote another version first`);
    const card = { ...(JSON.parse(entry.string()) as RegisteredModel), status: "retired" as const };
    await this.cards.update(key, JSON.stringify(card), entry.revision);
  }

  async promotedVersion(name: string): Promise<number | undefined> {
    const e = await this.cards.get(promotedKey(name));
    return e?.operation === "PUT" ? Number(e.string()) : undefined;
  }

  private async card(key: string): Promise<RegisteredModel | undefined> {
    const e = await this.cards.get(key);
    if (e?.operation !== "PUT") return undefined;
    const m = JSON.parse(e.string()) as RegisteredModel;
    return { ...m, promoted: (await this.promotedVersion(m.name)) === m.version };
  }
}
