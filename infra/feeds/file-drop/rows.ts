/**
 * Rows of a dropped CSV (RFC 4180: a header line, quoted fields with "" for a quote, no line breaks inside a field)
 * or JSON Lines file, as records of text cells keyed by column, each with its line number.
 */
export interface FileRow {
  line: number;
  cells: Record<string, unknown>;
}

export interface FileRows {
  rows: FileRow[];
  /** "line N: reason" for lines that are not rows of the format */
  rejected: string[];
}

/** One CSV line's fields; throws on an unterminated quote. */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = "";
      i += 1;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new TypeError("a quoted field is not closed");
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
      if (i < line.length && line[i] !== ",") throw new TypeError(`text after a closing quote at column ${i + 1}`);
    } else {
      const c = line.indexOf(",", i);
      out.push(line.slice(i, c < 0 ? line.length : c).trim());
      i = c < 0 ? line.length : c;
    }
    if (i >= line.length) return out;
    i += 1;
  }
}

export function readCsv(text: string, required: readonly string[]): FileRows {
  const lines = text.split(/\r?\n/);
  const header = csvFields(lines[0] ?? "");
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) throw new TypeError(`line 1: header lacks column ${missing.join(", ")} (has ${header.join(", ")})`);
  const out: FileRows = { rows: [], rejected: [] };
  for (let n = 1; n < lines.length; n++) {
    const l = lines[n]!;
    if (!l.trim()) continue;
    try {
      const f = csvFields(l);
      if (f.length !== header.length) throw new TypeError(`${f.length} fields, the header has ${header.length}`);
      out.rows.push({ line: n + 1, cells: Object.fromEntries(header.map((h, k) => [h, f[k]])) });
    } catch (e) {
      out.rejected.push(`line ${n + 1}: ${(e as Error).message}`);
    }
  }
  return out;
}

export function readJsonl(text: string): FileRows {
  const out: FileRows = { rows: [], rejected: [] };
  text.split(/\r?\n/).forEach((l, n) => {
    if (!l.trim()) return;
    try {
      const v: unknown = JSON.parse(l);
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new TypeError("not a JSON object");
      out.rows.push({ line: n + 1, cells: v as Record<string, unknown> });
    } catch (e) {
      out.rejected.push(`line ${n + 1}: ${e instanceof SyntaxError ? "not JSON" : (e as Error).message}`);
    }
  });
  return out;
}
