/** The model registry on NATS (object store and KV) and a client for model actors' Predict requests. */
export * from "./predict-client.ts";
export * from "./registry.ts";
