/**
 * The text of anything thrown: an Error's message, else its string form. `catch (e)` gives `unknown`, and a
 * library may throw a string or a plain object; a cast to Error would print "undefined" for those.
 */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
