export { connectNats, type NatsClientOptions, type NatsClientSettings, natsClientOf, natsConnectionOptions } from "./connect.ts";
export {
  ensureNatsCredentials,
  inboxPrefixOf,
  isNatsRole,
  type NatsCredentials,
  type NatsRole,
  natsRoles,
  opsInboxPrefix,
  readNatsCredentials,
  serverPasswordEnv,
} from "./credentials.ts";
export { requesterOf } from "./requester.ts";
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
export {
  DecodeError,
  type Decoded,
  decodeAs,
  decodeMessage,
  decodePayload,
  encodeMessage,
  encodePayload,
  type Envelope,
  envelopeOf,
  Header,
  type Message,
} from "./codec.ts";
export { headersOf } from "./received-headers.ts";
export { FencingError, Journal, type JournalRecord } from "./journal.ts";
export { kvKey, kvToken, parseKvKey, parseKvToken, SnapshotFencedError, SnapshotStore, type StoredSnapshot } from "./snapshot-store.ts";
export {
  type Catalogue,
  type CatalogueHooks,
  type CatalogueWatch,
  deleteDefinition,
  getDefinition,
  instrumentIdOfKey,
  instrumentKey,
  loadCatalogue,
  openInstrumentBucket,
  type PutReport,
  putDefinitions,
  readDefinitionsFile,
  watchCatalogue,
} from "./instrument-store.ts";
