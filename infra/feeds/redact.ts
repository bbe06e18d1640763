/**
 * API keys never leave the process in a log line or an error: every URL and message that could carry one passes
 * through a Redactor first. It replaces the secrets themselves (raw and URL-encoded) and the values of query
 * parameters that conventionally hold keys, so a key the Redactor was not told about is still hidden in a URL.
 */
const KEY_PARAMS = /([?&](?:api[_-]?key|apikey|token|access_token|key|signature)=)[^&#\s"']*/gi;
export const REDACTED = "***";

export class Redactor {
  private readonly secrets: string[];
  constructor(secrets: ReadonlyArray<string | undefined>) {
    const all = new Set<string>();
    for (const s of secrets) {
      if (!s) continue;
      all.add(s);
      all.add(encodeURIComponent(s));
    }
    // longest first, so a secret that contains another is replaced whole
    this.secrets = [...all].sort((a, b) => b.length - a.length);
  }

  text(value: string): string {
    let out = value.replace(KEY_PARAMS, `$1${REDACTED}`);
    for (const s of this.secrets) out = out.split(s).join(REDACTED);
    return out;
  }

  url(value: URL | string): string {
    return this.text(String(value));
  }

  /** A message for an unknown thrown value, redacted. */
  error(e: unknown): string {
    return this.text(e instanceof Error ? e.message : String(e));
  }
}
