import { Worker } from "node:worker_threads";
import type { InferenceJob, InferencePort } from "./inference-port.ts";
import type { PortMessage } from "./messages.ts";
import type { ModelFile } from "./model-card.ts";
import { signatureMismatches, type TensorSignature } from "./signature.ts";

export type ExecutionProvider = "cpu" | "cuda";

export interface OnnxInferenceOptions {
  /** a version of a model (by actor id), or undefined where it is not deployed here */
  modelOf(name: string, version: number): ModelFile | undefined;
  /** hands the port's answer to the model's actor (as a message on its command subject) */
  deliver(model: string, message: PortMessage): void;
  provider: ExecutionProvider;
  /** onnxruntime's threads per session (intra-op) */
  intraOpThreads: number;
  log: { info(msg: string, fields?: Record<string, unknown>): void; warn(msg: string, fields?: Record<string, unknown>): void };
}

type FromWorker =
  | { t: "ready"; provider: ExecutionProvider; inputs: TensorSignature[]; outputs: TensorSignature[] }
  | { t: "fallback"; reason: string }
  | { t: "unusable"; reason: string }
  | { t: "done"; batchId: number; values: Float32Array; width: number; runUs: number }
  | { t: "failed"; batchId: number; reason: string };

interface Session {
  name: string;
  worker: Worker;
  version: number;
  ready: boolean;
  provider?: ExecutionProvider;
  /** jobs sent to the worker and not answered yet; waiting ones queue until it is ready */
  open: Map<number, InferenceJob>;
  waiting: InferenceJob[];
  /** an actor asked for the session: it hears ModelLoaded or ModelLoadFailed */
  announce: boolean;
  /** unloaded: closes when its open jobs are answered */
  draining: boolean;
  features: string[];
}

const keyOf = (model: string, version: number) => `${model}@${version}`;

/**
 * The inference port on onnxruntime-node: one worker thread per deployed model, so an inference never blocks the
 * actors of the cell. CUDA is used when configured and the CUDA provider loads; otherwise the session falls back to
 * CPU and says so. A worker that dies fails its open jobs with the reason; reset() ends a hung one.
 */
export class OnnxInference implements InferencePort {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly o: OnnxInferenceOptions) {}

  /** the provider each open session runs on (for operators and the bench) */
  providers(): Record<string, ExecutionProvider | "starting"> {
    return Object.fromEntries([...this.sessions].map(([key, s]) => [key, s.provider ?? "starting"]));
  }

  /** A session of the model is open here: its actor runs on this node (or ran, until it passivated). */
  serves(model: string): boolean {
    for (const s of this.sessions.values()) if (s.name === model && !s.draining) return true;
    return false;
  }

  load(model: string, version: number): void {
    const s = this.session(model, version);
    if (typeof s === "string") this.o.deliver(model, { type: "ModelLoadFailed", version, reason: s });
    else if (s.ready) this.o.deliver(model, { type: "ModelLoaded", version, provider: s.provider ?? "cpu", features: s.features });
    else s.announce = true;
  }

  infer(job: InferenceJob): void {
    const s = this.session(job.model, job.version);
    if (typeof s === "string") this.fail(job, s);
    else if (s.ready) this.send(s, job);
    else s.waiting.push(job);
  }

  /** The open session of that version, a new one, or why there can be none. */
  private session(model: string, version: number): Session | string {
    const s = this.sessions.get(keyOf(model, version));
    if (s && !s.draining) return s;
    return this.open(model, version);
  }

  private closeIfDrained(key: string, s: Session): void {
    if (!s.draining || s.open.size || s.waiting.length || this.sessions.get(key) !== s) return;
    this.sessions.delete(key);
    void s.worker.terminate();
  }

  reset(model: string, reason: string): void {
    void this.close(model, reason);
  }

  unload(model: string, version: number): void {
    const s = this.sessions.get(keyOf(model, version));
    if (!s) return;
    s.draining = true;
    this.closeIfDrained(keyOf(model, version), s);
  }

  /** Closes every session (of one model where named); their open jobs fail with the reason. */
  async close(model?: string, reason = "closing"): Promise<void> {
    const keys = [...this.sessions].filter(([, s]) => model === undefined || s.name === model).map(([k]) => k);
    await Promise.all(
      keys.map((key) => {
        const s = this.sessions.get(key);
        if (!s) return Promise.resolve(0);
        this.sessions.delete(key);
        for (const job of [...s.open.values(), ...s.waiting]) this.fail(job, `session closed: ${reason}`);
        s.open.clear();
        s.waiting = [];
        return s.worker.terminate();
      }),
    );
  }

  private open(name: string, version: number): Session | string {
    const file = this.o.modelOf(name, version);
    if (!file) return `model ${name} v${version} is not deployed on this node`;
    if (file.card.version !== version) return `model ${name}: version ${version} asked, ${file.card.version} deployed`;
    const worker = new Worker(new URL("./inference-worker.mjs", import.meta.url), {
      workerData: { bytes: file.bytes, provider: this.o.provider, intraOpThreads: this.o.intraOpThreads },
    });
    const s: Session = {
      name,
      worker,
      version,
      ready: false,
      open: new Map(),
      waiting: [],
      announce: false,
      draining: false,
      features: file.card.featureSet.features,
    };
    worker.on("message", (m: FromWorker) => this.onMessage(name, s, m));
    worker.on("error", (e) => this.onGone(name, s, `inference worker failed: ${e.message}`));
    worker.on("exit", (code) => this.onGone(name, s, `inference worker exited with code ${code}`));
    worker.unref();
    this.sessions.set(keyOf(name, version), s);
    return s;
  }

  private onMessage(name: string, s: Session, m: FromWorker): void {
    switch (m.t) {
      case "fallback":
        this.o.log.warn("model falls back to the CPU provider: CUDA did not load", { model: name, version: s.version, reason: m.reason });
        return;
      case "ready": {
        const card = this.o.modelOf(name, s.version)?.card;
        const wrong = card ? signatureMismatches(card, m.inputs, m.outputs) : [];
        if (wrong.length) {
          this.onGone(name, s, `model ${name} does not match its card: ${wrong.join("; ")}`);
          return;
        }
        s.ready = true;
        s.provider = m.provider;
        this.o.log.info("model session ready", { model: name, version: s.version, provider: m.provider, requested: this.o.provider });
        if (s.announce) this.o.deliver(name, { type: "ModelLoaded", version: s.version, provider: m.provider, features: s.features });
        for (const job of s.waiting.splice(0)) this.send(s, job);
        return;
      }
      case "unusable":
        this.onGone(name, s, `model ${name} could not be loaded: ${m.reason}`);
        return;
      case "done": {
        const job = s.open.get(m.batchId);
        if (!job) return;
        s.open.delete(m.batchId);
        this.o.deliver(name, {
          type: "InferenceCompleted",
          batchId: m.batchId,
          values: Array.from(m.values),
          width: m.width,
          provider: s.provider ?? "cpu",
          runUs: m.runUs,
        });
        this.closeIfDrained(keyOf(name, s.version), s);
        return;
      }
      case "failed": {
        const job = s.open.get(m.batchId);
        if (!job) return;
        s.open.delete(m.batchId);
        this.fail(job, m.reason);
        this.closeIfDrained(keyOf(name, s.version), s);
      }
    }
  }

  /** The session is unusable: its jobs fail with the reason, the next job opens a new one. */
  private onGone(name: string, s: Session, reason: string): void {
    if (this.sessions.get(keyOf(name, s.version)) !== s) return;
    this.sessions.delete(keyOf(name, s.version));
    if (!s.ready && s.announce) this.o.deliver(name, { type: "ModelLoadFailed", version: s.version, reason });
    for (const job of [...s.open.values(), ...s.waiting]) this.fail(job, reason);
    void s.worker.terminate();
  }

  private send(s: Session, job: InferenceJob): void {
    s.open.set(job.batchId, job);
    const rows = Float32Array.from(job.rows);
    s.worker.postMessage({ t: "run", batchId: job.batchId, rows, count: job.count, width: job.width }, [rows.buffer]);
  }

  private fail(job: InferenceJob, reason: string): void {
    this.o.deliver(job.model, { type: "InferenceFailed", batchId: job.batchId, reason });
  }
}
