/** Minimal argv parsing: `--flag`, `--key value`, `--key=value`, positionals. No dependency needed. */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
  /** Every value of a repeated valued flag, in order (`--prioritize a --prioritize b`). */
  lists: Map<string, string[]>;
}

export function parseArgs(argv: string[], valued: Set<string>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  const set = (key: string, value: string) => {
    flags.set(key, value);
    lists.set(key, [...(lists.get(key) ?? []), value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) set(key, a.slice(eq + 1));
      else if (valued.has(key)) {
        if (i + 1 >= argv.length) throw new UsageError(`--${key} needs a value`);
        set(key, argv[++i]);
      } else flags.set(key, true);
    } else if (a.startsWith('-') && a.length === 2 && a !== '-') {
      const key = a.slice(1);
      if (valued.has(key)) {
        if (i + 1 >= argv.length) throw new UsageError(`-${key} needs a value`);
        set(key, argv[++i]);
      } else flags.set(key, true);
    } else positional.push(a);
  }
  return { positional, flags, lists };
}

export class UsageError extends Error {}
