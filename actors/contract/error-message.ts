/**
 * The text of anything thrown: an Error's message, else its string form. `catch (e)` gives `unknown`, and a
 * library may throw a string or a plain object; a cast to Error would print "undefined" for those.
 */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The message of anything thrown followed by those of its causes, outermost first ("a: b: c"), at most five deep. */
export function errorChain(e: unknown): string {
  const parts: string[] = [];
  for (let x: unknown = e; x !== undefined && parts.length < 5; x = x instanceof Error ? x.cause : undefined) parts.push(errorMessage(x));
  return parts.join(": ");
}
