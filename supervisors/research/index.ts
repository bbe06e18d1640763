export { type AltEvent, type AltFeatureSpec, altFeatureSpec, joinAltFeatures, questdbAltEvents } from "./alt-features.ts";
export { questdbBars, simulatedBars, simulatedInstruments } from "./bar-sources.ts";
export { buildDataset } from "./build-dataset.ts";
export {
  type DatasetConfig,
  DatasetConfigError,
  type DatasetConfigInput,
  datasetConfigSchema,
  parseDatasetConfig,
} from "./dataset-config.ts";
export { buildRows, DatasetError, type DatasetProgress, type DatasetRow, parseRowLine, rowLine, rowsHash } from "./dataset.ts";
export { type DatasetManifest, MANIFEST_FILE, readDataset, ROWS_FILE, writeDataset } from "./dataset-files.ts";
export { Barrier, checkLabelRule, type Label, type LabelRule, LabelRuleError, PendingLabel } from "./labels.ts";
export {
  type CombinatorialPlan,
  type CombinatorialSplit,
  combinatorialPurgedSplits,
  CrossValidationError,
  groupRange,
  type LabelSpan,
  purgedKFold,
  type Split,
  walkForwardSplits,
} from "./purged-cv.ts";
export { type ForecastMetrics, forecastMetrics } from "./forecast-metrics.ts";
export { fitRidge, predictRidge, RidgeError, type RidgeModel } from "./ridge-forecaster.ts";
export { type FoldResult, type ValidationOptions, type ValidationProgress, type ValidationReport, validateRidge } from "./validation.ts";
export { FIT_SCRIPT, runTrainer, type TrainerEvent, TrainerExited, trainingPython, trainingPythonReady } from "./python-trainer.ts";
export { retrainDecision, type RetrainOptions, type RetrainOutcome, retrainOnce } from "./retrain.ts";
export { RetrainRuns } from "./retrain-runs.ts";
// the training job actor's vocabulary, for the processes that command it (gateway, console, CLI)
export {
  evolveTrainingJob,
  type FoldScore,
  ForecasterKind,
  hyperparameterGrid,
  isFinished,
  parseTrainingRequest,
  progressOf,
  selectionMetric,
  TRAINING_JOB_KIND,
  type TrainingJob,
  type TrainingJobEvent,
  type TrainingJobPhase,
  TrainingRefused,
  TrainingRequest,
  type TrainingRequestInput,
} from "../../actors/training-job/index.ts";
export { TrainingJobs, type TrainingJobsOptions } from "./training-jobs.ts";
export { TrainingProcesses, type TrainingProcessesOptions } from "./training-processes.ts";
