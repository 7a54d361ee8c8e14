/**
 * Turns at the SCIM server's door: how many authenticated requests run their database work at once.
 */
/**
 * At most `limit` calls of `fn` at once, the others started in arrival order. With a synchronous
 * database driver a request's work is one run of CPU between its awaits; letting sixteen such
 * requests interleave makes every one of them finish at the end of the batch, where taking them in
 * turn, in arrival order, answers the first one first: the same throughput, a flat latency.
 */
export function createGate(limit: number, opts: { holdMs?: number; onSlow?: () => void } = {}): <T>(fn: () => Promise<T>) => Promise<T> {
  const holdMs = opts.holdMs ?? 10_000;
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    // The slot passes to the next waiter (active stays the same) or is freed. The hand-over waits
    // for the event loop's next turn, so requests that arrived meanwhile are read and queued
    // behind it rather than after a whole chain of waiters run back to back.
    const next = waiting.shift();
    if (next) setImmediate(next);
    else active--;
  };
  // No limit: no turns either (a driver that waits on the network gains from requests overlapping).
  if (!Number.isFinite(limit)) return (fn) => fn();
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else {
      // Even a free slot is taken on the loop's next turn: a poll phase that read sixteen requests
      // would otherwise run them all back to back before reading the ones sent meanwhile.
      active++;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // A run that hangs (a session store that stopped answering) gives its slot up after holdMs,
    // so one stuck request never stops the others; it goes on, outside the gate.
    let released = false;
    const timer = setTimeout(() => {
      released = true;
      opts.onSlow?.();
      release();
    }, holdMs);
    timer.unref();
    try {
      return await fn();
    } finally {
      clearTimeout(timer);
      if (!released) release();
    }
  };
}
