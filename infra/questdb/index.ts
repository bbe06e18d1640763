export { QuestdbError, questdbSql, rowsOf, sqlLiteral, type SqlResult } from "./sql.ts";
export { createTableSql, declareTables, TableConflictError, type TableOptions, type TableSpec, tables } from "./tables.ts";
export { ilpLine, IlpWriter, type IlpWriterOptions, openIlpWriter } from "./ilp-writer.ts";
export type { Row } from "./rows.ts";
export { openIlpSender, type Sender } from "./writer.ts";
export type { IlpSenderOptions } from "./writer.ts";
export { type ConsumerLag, Recorder, recorderDlq, type RecorderOptions, type RecorderStats } from "./recorder.ts";
export {
  type ArchivedRiskEvent,
  barsOf,
  type ClosedJournal,
  closedJournalsOf,
  type BarQuery,
  type ClosedOrderQuery,
  closedOrdersOf,
  HistoryQueryError,
  latestOrderOf,
  latestQuote,
  maxHistoryRows,
  oldestOrderTimeOf,
  questdbBarHistory,
  type RecordedOrder,
  riskEventsOf,
  TickKind,
  type TickQuery,
  ticksOf,
} from "./history.ts";
export {
  publishReplayFeed,
  type QuestdbReplayQuery,
  questdbReplaySource,
  type ReplayFeedOptions,
  systemReplayClock,
} from "./replay-source.ts";
export { type VolumeProfileQuery, volumeProfileOf } from "./volume-profile.ts";
export { type ImpactHistory, type ImpactHistoryQuery, impactHistoryOf, MAX_IMPACT_ROWS } from "./impact-history.ts";
