export { CsvError, CsvRecordReader, csvFileRecords, parseReplayCsv } from "./csv.ts";
export { mergeByTime } from "./merge.ts";
export {
  checkSpeed,
  dueAtMs,
  type ReplayClock,
  ReplayOrderError,
  type ReplayOptions,
  type ReplaySpeed,
  type ReplaySummary,
  replay,
} from "./pacing.ts";
export { barRecord, quoteRecord, type ReplayRecord, tradeRecord } from "./records.ts";
