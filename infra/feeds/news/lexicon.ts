/**
 * Headline sentiment from a finance word list in the manner of Loughran and McDonald (2011): general-purpose
 * lexicons misread finance text ("liability", "tax", "crude" are not negative there), so the lists hold words whose
 * tone in earnings news and filings is clear. The lists below are our own short selection (about 70 positive and 110
 * negative stems), not the LM dictionary; a positive word within three words after a negator ("not", "no", "never",
 * "without") counts as negative, as LM do for positive words. Score: (positive − negative) / (positive + negative),
 * 0 when no listed word occurs.
 */

/**
 * Lower-cased; an entry ending in * is a stem matched as a prefix ("approv*": approve, approval), any other matches
 * the word itself or with -s, -es, -ed, -ing ("beat": beats, beating), so "win" never matches "window".
 */
const POSITIVE = [
  "beat",
  "exceed",
  "outperform",
  "surpass",
  "record high",
  "upgrade",
  "raise",
  "raised guidance",
  "boost",
  "gain",
  "growth",
  "grow",
  "strong",
  "stronger",
  "robust",
  "improve",
  "improvement",
  "profit",
  "profitable",
  "rebound",
  "recover",
  "surge",
  "soar",
  "rally",
  "jump",
  "climb",
  "expand",
  "expansion",
  "accelerat*",
  "momentum",
  "win",
  "won",
  "award",
  "approv*",
  "breakthrough",
  "innovat*",
  "favorabl*",
  "favourabl*",
  "optimis*",
  "optimistic",
  "confident",
  "success",
  "achiev*",
  "attractive",
  "advantage",
  "benefit",
  "upside",
  "bullish",
  "buyback",
  "repurchase",
  "dividend increase",
  "higher",
  "best",
  "efficien*",
  "leading",
  "milestone",
  "opportunit*",
  "positive",
  "progress",
  "resilien*",
  "reward",
  "solid",
  "stabl*",
  "strength",
  "tops",
  "upbeat",
] as const;

const NEGATIVE = [
  "miss",
  "missed",
  "shortfall",
  "downgrade",
  "cut",
  "cuts",
  "lower guidance",
  "lowered",
  "loss",
  "losses",
  "lose",
  "decline",
  "declin*",
  "drop",
  "fall",
  "fell",
  "plunge",
  "plummet",
  "slump",
  "tumble",
  "sink",
  "sank",
  "crash",
  "weak",
  "weaker",
  "weakness",
  "slow",
  "slowdown",
  "contract",
  "deteriorat*",
  "worse",
  "worst",
  "disappoint",
  "concern",
  "warn",
  "warning",
  "risk",
  "uncertain",
  "volatil",
  "bearish",
  "downside",
  "pressure",
  "headwind",
  "lawsuit",
  "litigation",
  "sue",
  "sued",
  "probe",
  "investigat*",
  "subpoena",
  "fraud",
  "misconduct",
  "violation",
  "penalt*",
  "fine",
  "fined",
  "settlement",
  "recall",
  "default",
  "bankrupt*",
  "insolven*",
  "restructur*",
  "layoff",
  "lay off",
  "job cuts",
  "impair*",
  "writedown",
  "write-down",
  "write-off",
  "delist",
  "halt",
  "suspend",
  "resign",
  "departure",
  "terminat*",
  "breach",
  "adverse",
  "against",
  "critic*",
  "delay",
  "dilut*",
  "downturn",
  "fail",
  "failure",
  "short seller",
  "negative",
  "problem",
  "reject",
  "restat*",
  "scandal",
  "shortage",
  "strike",
  "unable",
  "underperform",
  "unfavorabl*",
  "unfavourabl*",
  "turmoil",
  "closure",
  "crisis",
  "damage",
  "deficit",
  "doubt",
  "exposure to losses",
  "hurt",
  "inflation",
  "challeng*",
  "error",
] as const;

const NEGATORS = new Set(["not", "no", "never", "without", "nor", "neither", "none", "cannot", "isn't", "wasn't", "didn't", "won't"]);

export interface HeadlineTone {
  /** in [-1, 1] */
  score: number;
  positive: number;
  negative: number;
}

const words = (text: string): string[] => text.toLowerCase().match(/[a-z][a-z'-]*/g) ?? [];

const INFLECTIONS = ["", "s", "es", "ed", "d", "ing"];

function wordMatches(w: string, entry: string): boolean {
  if (entry.endsWith("*")) return w.startsWith(entry.slice(0, -1));
  return INFLECTIONS.some((e) => w === entry + e);
}

/** Does the list entry (one or two words, the last inflected) start at word i? */
function matchesAt(ws: readonly string[], i: number, entry: string): boolean {
  const parts = entry.split(" ");
  for (let k = 0; k < parts.length; k++) {
    const w = ws[i + k];
    if (w === undefined) return false;
    if (k < parts.length - 1 ? w !== parts[k] : !wordMatches(w, parts[k]!)) return false;
  }
  return true;
}

/** Scores one text (a headline and its teaser). */
export function headlineTone(text: string): HeadlineTone {
  const ws = words(text);
  let positive = 0;
  let negative = 0;
  for (let i = 0; i < ws.length; i++) {
    // negative entries first: "lower guidance" must not read as "lower" then nothing
    if (NEGATIVE.some((e) => matchesAt(ws, i, e))) {
      negative += 1;
      continue;
    }
    if (POSITIVE.some((e) => matchesAt(ws, i, e))) {
      const negated = ws.slice(Math.max(0, i - 3), i).some((w) => NEGATORS.has(w));
      if (negated) negative += 1;
      else positive += 1;
    }
  }
  const n = positive + negative;
  return { score: n === 0 ? 0 : (positive - negative) / n, positive, negative };
}
