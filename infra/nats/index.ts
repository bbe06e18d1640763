export { connectNats } from "./connect.ts";
export {
  buckets,
  declareResources,
  declaredBuckets,
  declaredStreams,
  leaseTtlMs,
  nodeTtlMs,
  ResourceConflictError,
  streams,
} from "./resources.ts";
