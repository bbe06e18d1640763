import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker thread running a TypeScript module. A loader registered in this thread does not reach new threads, so
 * the worker registers tsx before it imports the module.
 */
export function typescriptWorker(module: URL, options: Omit<WorkerOptions, "eval"> = {}): Worker {
  const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
