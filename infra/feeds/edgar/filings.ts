/**
 * SEC EDGAR's two filing formats, read into one shape: the submissions API (data.sec.gov/submissions/CIK##########.json,
 * column arrays under filings.recent) and the "current filings" Atom feed (browse-edgar?action=getcurrent&output=atom).
 * A row that cannot be read is named (field, index or entry) and skipped; the rest of the reply still counts.
 */
import { zonedToEpochMs } from "../alpha-vantage/series.ts";

export interface EdgarFiling {
  /** ten digits, zero-padded */
  cik: string;
  accession: string;
  form: string;
  items: string[];
  filingDate: string;
  /** EDGAR's acceptance time, epoch ms */
  acceptedMs: number;
  url: string;
}

export interface ParsedFilings {
  filings: EdgarFiling[];
  /** rows skipped, each naming its field */
  rejected: string[];
}

export const padCik = (cik: string | number): string => String(cik).replace(/^0+/, "").padStart(10, "0");

const ACCESSION = /^\d{10}-\d{2}-\d{6}$/;
const ITEM = /^\d{1,2}\.\d{2}$/;

/** The filing's index page on www.sec.gov, which links every document of it. */
export const filingIndexUrl = (base: URL, cik: string, accession: string): string =>
  new URL(`/Archives/edgar/data/${Number(cik)}/${accession.replaceAll("-", "")}/${accession}-index.htm`, base).toString();

/**
 * The submissions API stamps acceptanceDateTime with a "Z" but gives US/Eastern wall time (a filing accepted at
 * 18:01 New York time carries the next day's filingDate and reads "T18:01:14.000Z"), so the zone is replaced.
 */
export function acceptanceToMs(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z?$/.exec(text);
  if (!m) throw new TypeError(`${JSON.stringify(text)} is not YYYY-MM-DDTHH:MM:SS[.sss]Z`);
  return zonedToEpochMs(`${m[1]} ${m[2]}`, "America/New_York");
}

/** The 8-K style filings (forms starting with one of `forms`) of one company's submissions reply. */
export function parseSubmissions(body: unknown, cik: string, forms: readonly string[], www: URL): ParsedFilings {
  const recent = (body as { filings?: { recent?: unknown } } | null)?.filings?.recent;
  if (typeof recent !== "object" || recent === null) throw new TypeError("filings.recent is missing");
  const cols = recent as Record<string, unknown>;
  const column = (name: string): unknown[] => {
    const c = cols[name];
    if (!Array.isArray(c)) throw new TypeError(`filings.recent.${name} is not an array`);
    return c;
  };
  const form = column("form");
  const accession = column("accessionNumber");
  const filingDate = column("filingDate");
  const accepted = column("acceptanceDateTime");
  const items = column("items");
  for (const [name, c] of [
    ["accessionNumber", accession],
    ["filingDate", filingDate],
    ["acceptanceDateTime", accepted],
    ["items", items],
  ] as const)
    if (c.length !== form.length) throw new TypeError(`filings.recent.${name} has ${c.length} entries, form has ${form.length}`);
  const out: ParsedFilings = { filings: [], rejected: [] };
  for (let i = 0; i < form.length; i++) {
    const f = form[i];
    if (typeof f !== "string" || !forms.some((p) => f.startsWith(p))) continue;
    try {
      const acc = accession[i];
      if (typeof acc !== "string" || !ACCESSION.test(acc))
        throw new TypeError(`accessionNumber ${JSON.stringify(acc)} is not ##########-##-######`);
      const date = filingDate[i];
      if (typeof date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(date))
        throw new TypeError(`filingDate ${JSON.stringify(date)} is not YYYY-MM-DD`);
      const at = accepted[i];
      if (typeof at !== "string") throw new TypeError(`acceptanceDateTime ${JSON.stringify(at)} is not a string`);
      let acceptedMs: number;
      try {
        acceptedMs = acceptanceToMs(at);
      } catch (e) {
        throw new TypeError(`acceptanceDateTime ${(e as Error).message}`);
      }
      out.filings.push({
        cik,
        accession: acc,
        form: f,
        items: parseItems(items[i], "items"),
        filingDate: date,
        acceptedMs,
        url: filingIndexUrl(www, cik, acc),
      });
    } catch (e) {
      out.rejected.push(`filings.recent[${i}] (${f}): ${(e as Error).message}`);
    }
  }
  return out;
}

function parseItems(v: unknown, field: string): string[] {
  if (v === undefined || v === "") return [];
  if (typeof v !== "string") throw new TypeError(`${field} ${JSON.stringify(v)} is not a string`);
  const list = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const it of list) if (!ITEM.test(it)) throw new TypeError(`${field} entry ${JSON.stringify(it)} is not an 8-K item like 2.02`);
  return list;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const decodeXml = (s: string): string =>
  s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return ENTITIES[e] ?? m;
  });

/**
 * The current-filings Atom feed. EDGAR writes it in one fixed layout (entries of title, link, summary, updated,
 * category, id, none nested), so a reader of those elements is enough and keeps an XML library out of the feed.
 */
export function parseCurrentAtom(xml: string, forms: readonly string[]): ParsedFilings {
  if (!/<feed[\s>]/.test(xml)) throw new TypeError("not an Atom feed (no <feed> element)");
  const out: ParsedFilings = { filings: [], rejected: [] };
  const entries = xml.match(/<entry>[\s\S]*?<\/entry>/g) ?? [];
  entries.forEach((entry, n) => {
    const text = (tag: string): string | undefined => {
      const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`).exec(entry);
      return m ? decodeXml(m[1]!.trim()) : undefined;
    };
    const form = /<category[^>]*\bterm="([^"]*)"/.exec(entry)?.[1];
    if (form === undefined || !forms.some((p) => form.startsWith(p))) return;
    try {
      const title = text("title") ?? "";
      const cik = /\((\d{10})\)\s*\((?:Filer|Subject|Filed by|Reporting)\)\s*$/.exec(title)?.[1];
      if (!cik) throw new TypeError(`title ${JSON.stringify(title)} has no (##########) CIK`);
      const summary = text("summary") ?? "";
      const accession = /AccNo:\s*(?:<\/b>)?\s*(\d{10}-\d{2}-\d{6})/.exec(summary)?.[1];
      if (!accession) throw new TypeError("summary has no AccNo");
      const filingDate = /Filed:\s*(?:<\/b>)?\s*(\d{4}-\d{2}-\d{2})/.exec(summary)?.[1];
      if (!filingDate) throw new TypeError("summary has no Filed: date");
      const updated = text("updated") ?? "";
      const acceptedMs = Date.parse(updated);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$/.test(updated) || !Number.isFinite(acceptedMs))
        throw new TypeError(`updated ${JSON.stringify(updated)} is not an ISO time with its offset`);
      const items = [...summary.matchAll(/Item (\d{1,2}\.\d{2}):/g)].map((m) => m[1]!);
      const href = /<link[^>]*\bhref="([^"]*)"/.exec(entry)?.[1];
      out.filings.push({ cik, accession, form, items, filingDate, acceptedMs, url: href ? decodeXml(href) : "" });
    } catch (e) {
      out.rejected.push(`entry ${n + 1}: ${(e as Error).message}`);
    }
  });
  return out;
}
