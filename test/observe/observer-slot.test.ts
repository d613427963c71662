import { describe, expect, it } from 'vitest';
import { ObserverSlot, type QueryObserver } from '../../src/store/observer.js';

const observer = (name: string): QueryObserver & { name: string } => ({ name, active: true, record: () => undefined });
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('ObserverSlot: the observer of the queries that run now (one per CLI run, no async hooks)', () => {
  it('is set while a run\'s promise is pending, on every async path, and cleared when it settles', async () => {
    const slot = new ObserverSlot();
    const a = observer('a');
    expect(slot.getStore()).toBeUndefined();
    const seen: (QueryObserver | undefined)[] = [];
    const done = slot.run(a, async () => {
      seen.push(slot.getStore());
      await tick();
      seen.push(slot.getStore());
      // A callback the run started (a timer, a server's handler) sees it too.
      await new Promise<void>((r) => setTimeout(() => (seen.push(slot.getStore()), r()), 1));
      return 42;
    });
    expect(slot.getStore()).toBe(a); // still running
    await expect(done).resolves.toBe(42);
    expect(seen).toEqual([a, a, a]);
    expect(slot.getStore()).toBeUndefined();
  });

  it('a synchronous run, and one that throws or rejects, leave nothing set', async () => {
    const slot = new ObserverSlot();
    expect(slot.run(observer('s'), () => 7)).toBe(7);
    expect(slot.getStore()).toBeUndefined();
    expect(() =>
      slot.run(observer('t'), () => {
        throw new Error('sync');
      }),
    ).toThrow('sync');
    expect(slot.getStore()).toBeUndefined();
    await expect(slot.run(observer('r'), () => Promise.reject(new Error('async')))).rejects.toThrow('async');
    expect(slot.getStore()).toBeUndefined();
  });

  it('nested and overlapping runs: the latest still running observes, and each ending removes only its own', async () => {
    const slot = new ObserverSlot();
    const [a, b] = [observer('a'), observer('b')];
    let release!: () => void;
    const outer = slot.run(a, () => new Promise<void>((r) => (release = r)));
    const inner = slot.run(b, async () => {
      expect(slot.getStore()).toBe(b);
      await tick();
    });
    expect(slot.getStore()).toBe(b);
    await inner;
    expect(slot.getStore()).toBe(a); // b ended: a again, not nothing
    // The earlier run ending first leaves the later one set.
    const c = observer('c');
    let releaseC!: () => void;
    const later = slot.run(c, () => new Promise<void>((r) => (releaseC = r)));
    release();
    await outer;
    expect(slot.getStore()).toBe(c);
    releaseC();
    await later;
    expect(slot.getStore()).toBeUndefined();
  });
});
