import { type InferenceJob, type InferencePort, type ModelFile, OnnxInference, type PortMessage } from "../../actors/model/index.ts";

/** how long a backtest waits for one inference answer on the wall clock before it fails the run */
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * The model actors' inference port in a backtest: onnxruntime on worker threads as live, plus what the run loop
 * needs to stay deterministic on simulated time. It knows which loads and batches are unanswered, and the loop
 * waits for them (`settle`) before time moves on, so a forecast always lands at the simulated time of the bar it
 * comes from, whatever the inference costs in wall time.
 */
export class SettlingInference implements InferencePort {
  private readonly onnx: OnnxInference;
  private readonly open = new Set<string>();
  private wake: (() => void) | undefined;

  constructor(models: ReadonlyMap<string, ModelFile>, deliver: (model: string, message: PortMessage) => void) {
    const silent = { info: () => {}, warn: () => {} };
    this.onnx = new OnnxInference({
      modelOf: (name) => models.get(name),
      deliver: (model, m) => {
        this.open.delete(
          m.type === "InferenceCompleted" || m.type === "InferenceFailed" ? `${model}#${m.batchId}` : `${model}@${m.version}`,
        );
        deliver(model, m);
        this.wake?.();
      },
      provider: "cpu",
      intraOpThreads: 1,
      log: silent,
    });
  }

  /** loads or batches are unanswered */
  get busy(): boolean {
    return this.open.size > 0;
  }

  /** Resolves at the next answer; rejects, naming what is open, when none comes within the timeout. */
  nextAnswer(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no inference answer within ${ANSWER_TIMEOUT_MS} ms (open: ${[...this.open].join(", ")})`)),
        ANSWER_TIMEOUT_MS,
      );
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  load(model: string, version: number): void {
    this.open.add(`${model}@${version}`);
    this.onnx.load(model, version);
  }

  infer(job: InferenceJob): void {
    this.open.add(`${job.model}#${job.batchId}`);
    this.onnx.infer(job);
  }

  reset(model: string, reason: string): void {
    this.onnx.reset(model, reason);
  }

  unload(model: string, version: number): void {
    this.onnx.unload(model, version);
  }

  close(): Promise<void> {
    return this.onnx.close();
  }
}
