/**
 * The SCIM request gate: at most N runs at once, in arrival order, each started on a later turn of
 * the event loop (so requests read meanwhile queue behind it), and a failing run frees its slot.
 */
import { describe, expect, it } from 'vitest';
import { createGate } from '../../../plugin/scim/gate.ts';

describe('createGate', () => {
  it('runs one at a time in arrival order, each on its own turn of the event loop', async () => {
    const gate = createGate(1);
    let turns = 0;
    let stop = false;
    const count = () => {
      turns++;
      if (!stop) setImmediate(count);
    };
    setImmediate(count);
    let running = 0;
    let most = 0;
    const seen: { i: number; turn: number }[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        gate(async () => {
          running++;
          most = Math.max(most, running);
          seen.push({ i, turn: turns });
          await Promise.resolve();
          running--;
        }),
      ),
    );
    stop = true;
    expect(most).toBe(1);
    expect(seen.map((s) => s.i)).toEqual([0, 1, 2, 3, 4, 5]);
    // Every run started on a later turn than the previous one.
    for (let k = 1; k < seen.length; k++) expect(seen[k]!.turn).toBeGreaterThan(seen[k - 1]!.turn);
  });

  it('allows up to the limit at once and frees the slot of a run that throws', async () => {
    const gate = createGate(2);
    let running = 0;
    let most = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        gate(async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
          if (i % 3 === 0) throw new Error(`run ${i} failed`);
          return i;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual([1, 2, 4, 5, 7]);
    // The gate is free again afterwards.
    expect(await gate(async () => 'after')).toBe('after');
  });

  it('gives the slot of a run that hangs to the next one after holdMs', async () => {
    let slow = 0;
    const gate = createGate(1, { holdMs: 50, onSlow: () => slow++ });
    let finishHung: () => void = () => {};
    const hung = gate(() => new Promise<string>((resolve) => (finishHung = () => resolve('hung'))));
    const began = Date.now();
    expect(await gate(async () => 'next')).toBe('next');
    expect(Date.now() - began).toBeGreaterThanOrEqual(40);
    expect(slow).toBe(1);
    finishHung();
    expect(await hung).toBe('hung');
    // The hung run's late end does not free a slot twice: the limit still holds.
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 4 }, () =>
        gate(async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it('without a limit, runs everything at once and at once', async () => {
    const gate = createGate(Number.POSITIVE_INFINITY);
    let running = 0;
    let most = 0;
    let startedSync = 0;
    const all = Array.from({ length: 5 }, () =>
      gate(async () => {
        startedSync++;
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
      }),
    );
    // No turn of the event loop before a run starts.
    expect(startedSync).toBe(5);
    await Promise.all(all);
    expect(most).toBe(5);
  });
});

