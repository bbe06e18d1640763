/** Command-line options of the research scripts: `--name value` pairs after the subcommand. */

/** The value after `name`, undefined where `name` is absent; a name with no value after it is an error. */
export function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) throw new Error(`${name} needs a value`);
  return v;
}

/** An integer option at least `min`, or `fallback` where absent. */
export function integerOption(args: string[], name: string, fallback: number, min = Number.MIN_SAFE_INTEGER): number {
  const v = option(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(Number.isSafeInteger(n) && n >= min)) throw new Error(`${name} must be an integer of at least ${min}, got ${v}`);
  return n;
}
