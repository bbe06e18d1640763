import { errorMessage } from "../../actors/contract/index.ts";
/** A QuestDB SQL result from the REST endpoint. */
export interface SqlResult {
  columns: { name: string; type: string }[];
  dataset: unknown[][];
  count: number;
}

export class QuestdbError extends Error {
  override name = "QuestdbError";
}

/**
 * Runs one statement over QuestDB's REST API. Callers pass only SQL they built from constants and validated
 * identifiers; user values go through `sqlLiteral`, never by pasting.
 */
export async function questdbSql(baseUrl: string, query: string, signal?: AbortSignal): Promise<SqlResult> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/exec?${new URLSearchParams({ query })}`, { signal: signal ?? AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new QuestdbError(`QuestDB at ${baseUrl} is unreachable: ${errorMessage(e)}`);
  }
  const body = (await res.json().catch(() => ({}))) as Partial<SqlResult> & { error?: string; ddl?: string };
  if (!res.ok || body.error) throw new QuestdbError(`QuestDB rejected \`${query.slice(0, 200)}\`: ${body.error ?? res.statusText}`);
  return { columns: body.columns ?? [], dataset: body.dataset ?? [], count: body.count ?? 0 };
}

/** Rows as objects keyed by column name. */
export function rowsOf(r: SqlResult): Record<string, unknown>[] {
  return r.dataset.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

/** A SQL string literal with quotes escaped; for values that must appear in a statement. */
export function sqlLiteral(value: string): string {
  if (value.includes("\0")) throw new QuestdbError("a SQL string value may not contain NUL");
  return `'${value.replaceAll("'", "''")}'`;
}
