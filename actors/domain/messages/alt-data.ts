import { z } from "zod";
import { defineMessage, type MessageOf } from "../../contract/index.ts";
import { instrumentId, stamped } from "./schemas.ts";

/**
 * Alternative data, normalised by its feed adapter and published on am.md.<filing|news|series>.<venue>.<symbol>
 * (recorded in QuestDB like bars). tsEvent is when the fact became public at its source (a filing's acceptance, a
 * headline's publication, an observation's own time); tsInit is when it reached the platform. Research joins them
 * to bars by tsEvent, as of each bar's close.
 */

/** An SEC EDGAR filing (8-K and its amendments) of the company an instrument belongs to. */
export const Filing = defineMessage(
  "Filing",
  1,
  z.object({
    instrument: instrumentId,
    /** the filer's Central Index Key, ten digits */
    cik: z.string().regex(/^\d{10}$/, "a CIK of ten digits"),
    /** EDGAR's accession number, 0000320193-24-000123: the filing's identity */
    accession: z.string().regex(/^\d{10}-\d{2}-\d{6}$/, "an accession number like 0000320193-24-000123"),
    form: z.string().min(1).max(16),
    /** 8-K items reported, e.g. ["2.02", "9.01"] */
    items: z.array(z.string().regex(/^\d{1,2}\.\d{2}$/, "an 8-K item like 2.02")),
    /** the filing date EDGAR gives (YYYY-MM-DD, US/Eastern) */
    filingDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    url: z.string().max(512),
    ...stamped,
  }),
  "An SEC EDGAR filing (8-K) with its items; tsEvent is EDGAR's acceptance time.",
);
export type Filing = MessageOf<typeof Filing>;

/** A news headline naming an instrument, with a lexicon sentiment score. */
export const NewsHeadline = defineMessage(
  "NewsHeadline",
  1,
  z.object({
    instrument: instrumentId,
    /** the provider's article id */
    id: z.string().min(1).max(128),
    publisher: z.string().max(128),
    title: z.string().min(1).max(1024),
    url: z.string().max(1024),
    /** (positive − negative) / (positive + negative) over the headline and teaser; 0 when no lexicon word occurs */
    sentiment: z.number().min(-1).max(1),
    positive: z.number().int().nonnegative(),
    negative: z.number().int().nonnegative(),
    ...stamped,
  }),
  "A news headline about an instrument with its finance-lexicon sentiment; tsEvent is its publication time.",
);
export type NewsHeadline = MessageOf<typeof NewsHeadline>;

/** One value of a named series (satellite counts, card spend...) for an instrument, from a dropped file. */
export const SeriesObservation = defineMessage(
  "SeriesObservation",
  1,
  z.object({
    instrument: instrumentId,
    /** the file feed's name (AM_FILE_FEED_NAME) */
    source: z.string().min(1).max(64),
    /** the column of the file's schema the value comes from */
    series: z.string().min(1).max(64),
    /** a statistic, not money: float64 */
    value: z.number().finite(),
    ...stamped,
  }),
  "One observation of a named alternative data series for an instrument; tsEvent is the observation's time.",
);
export type SeriesObservation = MessageOf<typeof SeriesObservation>;

export type AltDataMessage = Filing | NewsHeadline | SeriesObservation;
