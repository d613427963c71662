import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { wrappedFromStore } from '../../src/charts/wrapped.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../support/tmp.js';

describe('wrapped leaves out the units of `profile --experiment` runs', () => {
  it('a profile experiment (units with only cpu_sample / cpu_time events) is not an experiment run, nor are its units counted', async () => {
    const file = path.join(tmpDir(), 'w.duckdb');
    const store = await Store.open(file, { create: true });
    await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES
      ('experiments', 'exp_p', 'experiment', 'active', '{"name":"exp_p","groups":[{"name":"control","size":50},{"name":"test","size":50}]}')`);
    const rows: string[] = [];
    const events: string[] = [];
    for (let i = 0; i < 40; i++) {
      rows.push(`('u${i}', 'exp_p', '${i % 2 ? 'test' : 'control'}', TIMESTAMP '2026-05-0${1 + (i % 3)} 10:00:00')`);
      if (i < 30) events.push(`('u${i}', 'click', TIMESTAMP '2026-05-05 10:00:00', 1, NULL)`); // u30..u39: exposed, never active: still product units
    }
    // Two profile runs tagged with an experiment of their own, and one on a product unit (u1 keeps its product event).
    for (const [unit, group] of [['run-1', 'old'], ['run-2', 'new'], ['u1', 'new']]) {
      rows.push(`('${unit}', 'checkout_speed', '${group}', TIMESTAMP '2026-07-01 09:00:00')`);
      events.push(`('${unit}', 'cpu_time', TIMESTAMP '2026-07-01 09:00:01', 120, NULL)`, `('${unit}', 'cpu_sample', TIMESTAMP '2026-07-01 09:00:01', 3, NULL)`);
    }
    await store.run(`INSERT INTO exposures (unit_id, experiment, group_name, first_exposure) VALUES ${rows.join(', ')}`);
    await store.run(`INSERT INTO events (unit_id, event, ts, value, metadata) VALUES ${events.join(', ')}`);
    const data = await wrappedFromStore(store, { year: 2026 });
    store.close();
    // checkout_speed keeps u1, a product unit profiled on purpose; run-1 and run-2 are gone.
    expect(data.experiments.map((x) => [x.name, x.units])).toEqual([
      ['checkout_speed', 1],
      ['exp_p', 40],
    ]);
    expect(data.units).toBe(40);
  });

  it('a store whose only exposures are profile runs has no experiments to wrap', async () => {
    const file = path.join(tmpDir(), 'w2.duckdb');
    const store = await Store.open(file, { create: true });
    await store.run(`INSERT INTO exposures (unit_id, experiment, group_name, first_exposure) VALUES ('run-1', 'checkout_speed', 'old', TIMESTAMP '2026-07-01 09:00:00')`);
    await store.run(`INSERT INTO events (unit_id, event, ts, value, metadata) VALUES ('run-1', 'cpu_time', TIMESTAMP '2026-07-01 09:00:01', 120, NULL)`);
    await expect(wrappedFromStore(store)).rejects.toThrow(/no experiment exposures/);
    store.close();
  });
});
