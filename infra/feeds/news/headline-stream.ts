/**
 * A seeded stream of headlines for a local Polygon news: every `everyMs` or so a story about one of the companies
 * (now and then two), worded from a set of templates that read good, bad, mixed or neutral to the finance lexicon,
 * with varied figures, segments and publishers. Each story is a function of the seed and its time slot
 * (seeded-schedule.ts), its id too, so a restart publishes the same stories again, never new ones.
 */
import type { Xoshiro128 } from "../../../actors/feed/simulator/index.ts";
import { startSeededSchedule, type SeededSchedule } from "../seeded-schedule.ts";
import type { LocalPolygonNews } from "./local-provider.ts";

export interface NewsCompany {
  /** the ticker Polygon files the story under */
  ticker: string;
  name: string;
}

export interface HeadlineStreamOptions {
  companies: readonly NewsCompany[];
  seed: number;
  /** mean time between headlines, ms (default 8 000) */
  everyMs?: number;
  /** headlines already published at start, reaching this far back, ms (default one hour) */
  historyMs?: number;
  now?: () => number;
  onError?: (e: unknown) => void;
}

/** {co} the company, {peer} another, {pct} a percentage, {n} a count, {usd} dollars, {q} a quarter, {seg} a business segment */
const STORIES: readonly (readonly [title: string, description: string])[] = [
  ["{co} beats estimates as {seg} revenue grows {pct}%", "Quarterly earnings topped the consensus on strong demand."],
  ["{co} raises full-year outlook after a robust {q}", "Management cited momentum in {seg} and improving margins."],
  ["Analysts upgrade {co}, citing an attractive valuation", "The broker sees upside as the {seg} business recovers."],
  ["{co} announces {usd} million share buyback", "The repurchase program signals confidence in cash flow."],
  ["{co} wins {usd} million contract in {seg}", "The award expands its backlog to a record high."],
  ["{co} shares surge on breakthrough in {seg}", "Investors cheered the milestone, the company's strongest in years."],
  ["{co} misses profit forecast as {seg} sales decline {pct}%", "Weak volumes and cost pressure hurt the quarter."],
  ["{co} cuts guidance, warns of {seg} slowdown", "Executives flagged headwinds and uncertain demand."],
  ["{co} downgraded to underperform on weaker margins", "The analyst expects further pressure on {seg}."],
  ["{co} faces lawsuit over {seg} disclosures", "Plaintiffs allege the company misled investors."],
  ["{co} shares slump after regulators open probe", "The investigation concerns practices in its {seg} unit."],
  ["{co} announces restructuring and {n} layoffs", "The company expects an impairment charge in {q}."],
  ["{co} recalls products from its {seg} line", "The recall follows safety concerns raised by customers."],
  ["{co} posts record {seg} sales but warns on costs", "Growth was strong, though inflation remains a concern."],
  ["{co} beats on revenue, misses on earnings", "Higher costs offset solid demand in {seg}."],
  ["{co} to present at industry conference next week", "Executives will discuss the {seg} strategy."],
  ["{co} names new chief financial officer", "The appointment takes effect at the start of {q}."],
  ["{co} and {peer} announce {seg} partnership", "The companies will jointly develop products for {seg}."],
  ["{co} completes acquisition of {seg} supplier", "Terms of the deal were not disclosed."],
  ["{co} schedules {q} earnings call", "Results will be released before the market opens."],
];
const SEGMENTS = [
  "cloud",
  "retail",
  "services",
  "wholesale",
  "international",
  "consumer",
  "industrial",
  "data center",
  "pharmacy",
  "logistics",
];
const PUBLISHERS = ["Benzinga", "GlobeNewswire", "Zacks Investment Research", "The Motley Fool", "MarketWatch", "Seeking Alpha"];

const pick = <T>(random: Xoshiro128, of: readonly T[]): T => of[Math.floor(random.next() * of.length)]!;

export function streamHeadlines(news: LocalPolygonNews, o: HeadlineStreamOptions): SeededSchedule {
  if (o.companies.length === 0) throw new RangeError("companies: the headline stream needs at least one company");
  return startSeededSchedule({
    seed: o.seed,
    slotMs: o.everyMs ?? 8_000,
    historyMs: o.historyMs ?? 3_600_000,
    ...(o.now ? { now: o.now } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
    publish: (slot, atMs, random) => {
      const [title, description] = pick(random, STORIES);
      const company = pick(random, o.companies);
      const others = o.companies.filter((c) => c !== company);
      const peer = others.length ? pick(random, others) : company;
      const when = new Date(atMs);
      // one draw per story, so its title and teaser tell the same figures
      const values: Record<string, string> = {
        "{co}": company.name,
        "{peer}": peer.name,
        "{seg}": pick(random, SEGMENTS),
        "{pct}": String(2 + Math.floor(random.next() * 28)),
        "{n}": String(25 * (1 + Math.floor(random.next() * 40))),
        "{usd}": `$${5 * (1 + Math.floor(random.next() * 100))}`,
        "{q}": `Q${Math.floor(when.getUTCMonth() / 3) + 1} ${when.getUTCFullYear()}`,
      };
      const fill = (text: string): string => text.replace(/\{[a-z]+\}/g, (k) => values[k] ?? k);
      news.publish({
        id: `sim${String(slot).padStart(12, "0")}`,
        title: fill(title),
        description: fill(description),
        published_utc: when.toISOString().replace(/\.\d{3}Z$/, "Z"),
        tickers: title.includes("{peer}") && peer !== company ? [company.ticker, peer.ticker] : [company.ticker],
        publisher: pick(random, PUBLISHERS),
      });
    },
  });
}
