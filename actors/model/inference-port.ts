/** One batch for a model's inference: its rows flattened in the model's input order. */
export interface InferenceJob {
  model: string;
  version: number;
  batchId: number;
  count: number;
  width: number;
  rows: number[];
}

/**
 * How a model actor's machine has inference done: it asks the port to load its version (answered with ModelLoaded or
 * ModelLoadFailed), hands it batches, and the runtime delivers each answer back to the actor as InferenceCompleted
 * or InferenceFailed (with the batch id). The machine never sees ONNX.
 */
export interface InferencePort {
  load(model: string, version: number): void;
  infer(job: InferenceJob): void;
  /** throw away the model's session (hung or failed); the next job opens a new one */
  reset(model: string, reason: string): void;
  /** a version no longer served: its session closes once its open jobs are answered */
  unload(model: string, version: number): void;
}
