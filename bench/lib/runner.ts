/**
 * Runs a bounded number of operations with a fixed number of workers and times each one.
 * Loops end by themselves: `total` operations, no timers, no open-ended retries.
 */

export interface RunResult {
  samplesMs: number[];
  wallMs: number;
  errors: number;
  firstError: unknown;
}

/**
 * Calls `op(i)` for i in [0, total) with `concurrency` operations in flight; each worker takes the
 * next index as soon as its previous operation settles. Failures are counted, never retried.
 */
export async function runConcurrent(total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<RunResult> {
  const samplesMs: number[] = [];
  let errors = 0;
  let firstError: unknown = undefined;
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        await op(i);
        samplesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch (e) {
        errors++;
        firstError ??= e;
      }
    }
  };
  const began = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker));
  return { samplesMs, wallMs: Number(process.hrtime.bigint() - began) / 1e6, errors, firstError };
}

/** Merges several runs of the same scenario (interleaved rounds) into one. */
export function mergeRuns(runs: readonly RunResult[]): RunResult {
  return {
    samplesMs: runs.flatMap((r) => r.samplesMs),
    wallMs: runs.reduce((a, r) => a + r.wallMs, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    firstError: runs.find((r) => r.firstError !== undefined)?.firstError,
  };
}

/** Parses `--name value` / `--name=value` from argv; positional words are returned apart. */
export function parseArgs(argv: readonly string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq !== -1) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else {
      const v = argv[i + 1];
      if (v !== undefined && !v.startsWith('--')) {
        flags.set(a.slice(2), v);
        i++;
      } else flags.set(a.slice(2), 'true');
    }
  }
  return { flags, positional };
}

/** An integer flag, defaulted, refused when not a positive integer. */
export function intFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new TypeError(`--${name} must be a positive integer (got "${raw}")`);
  return n;
}
