/**
 * Issue 20: `seed --users 200000` sat at "generating events 0/200000 (0%)" and then jumped to
 * done (one chunk of 250,000 users). Events are now generated in about 12 chunks of users, with a
 * progress report after each; the data does not depend on the chunking.
 */
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { offlineProjectSpec } from '../../src/ai/seed/offline.js';
import { writeSeedProject } from '../../src/ai/seed/service.js';
import { eventChunkSize } from '../../src/store/seed-data.js';
import type { Progress } from '../../src/core/progress.js';

class Recorder implements Progress {
  phases: { label: string; total: number | undefined; updates: number[] }[] = [];
  start(label: string, total?: number): void {
    this.phases.push({ label, total, updates: [] });
  }
  update(done: number): void {
    this.phases.at(-1)?.updates.push(done);
  }
  stop(): void {}
}

describe('seed progress', () => {
  it('chunks events into about 12 parts for 200,000 users (one part before)', () => {
    expect(eventChunkSize(200_000)).toBe(16_667);
    expect(Math.ceil(200_000 / eventChunkSize(200_000))).toBe(12);
    expect(eventChunkSize(20_000_000)).toBe(250_000);
    expect(eventChunkSize(3_000)).toBe(3_000);
    expect(eventChunkSize(1)).toBe(1);
  });

  it('reports real progress while generating events: many increasing steps out of the real total', async () => {
    const spec = offlineProjectSpec({ prompt: 'test', domain: 'ecommerce', seed: 3 }).spec;
    const store = await Store.memory();
    const progress = new Recorder();
    try {
      await writeSeedProject(store, spec, { seed: 3, users: 30_000, days: 2, preDays: 0, start: '2025-11-03' }, { prompt: 'test', source: 'offline', domain: 'ecommerce', theme: 'test' }, progress);
    } finally {
      store.close();
    }
    const events = progress.phases.find((p) => p.label === 'generating events')!;
    expect(events.total).toBe(30_000);
    expect(events.updates).toEqual([5_000, 10_000, 15_000, 20_000, 25_000, 30_000]);
  });
});
