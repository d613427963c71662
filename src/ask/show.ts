/** `show <type> <name>`: one entity from the store, with its saved scorecards for experiments. */
import { UsageError, UserError, didYouMean } from '../core/errors.js';
import type { EntityKind } from '../store/schema.js';
import { Store } from '../store/store.js';
import { loadScorecards, type Scorecard } from './scorecards.js';

export const SHOW_KINDS: Record<string, EntityKind> = {
  gate: 'gates',
  gates: 'gates',
  experiment: 'experiments',
  experiments: 'experiments',
  config: 'dynamic_configs',
  configs: 'dynamic_configs',
  dynamic_config: 'dynamic_configs',
  dynamic_configs: 'dynamic_configs',
  metric: 'metrics',
  metrics: 'metrics',
  layer: 'layers',
  layers: 'layers',
  segment: 'segments',
  segments: 'segments',
};

export interface ShowResult {
  kind: EntityKind;
  name: string;
  path: string;
  type: string | null;
  status: string | null;
  spec: unknown;
  scorecards: Scorecard[];
}

export async function showEntity(db: string, type: string, name: string): Promise<ShowResult> {
  const kind = SHOW_KINDS[type.toLowerCase()];
  if (!kind) {
    const guess = didYouMean(type, Object.keys(SHOW_KINDS));
    throw new UsageError(`unknown type "${type}"`, { hint: `use one of gate, experiment, config, metric, layer, segment${guess ? ` (did you mean ${guess}?)` : ''}` });
  }
  const store = await Store.open(db, { readOnly: true });
  try {
    const rows = await store.all<{ name: string; type: string | null; status: string | null; spec: string }>('SELECT name, type, status, CAST(spec AS VARCHAR) AS spec FROM entities WHERE kind = $1 AND name = $2', [kind, name]);
    const row = rows[0];
    if (!row) {
      const names = (await store.all<{ name: string }>('SELECT name FROM entities WHERE kind = $1', [kind])).map((r) => r.name);
      const guess = didYouMean(name, names);
      throw new UserError(`no ${type} named "${name}" in the project store`, {
        hint: guess ? `did you mean \`statsig-hack show ${type} ${guess}\`?` : `find it with \`statsig-hack search "${name}"\``,
        code: 'NOT_FOUND',
      });
    }
    let spec: unknown;
    try {
      spec = JSON.parse(row.spec);
    } catch {
      spec = row.spec;
    }
    return { kind, name: row.name, path: `/${kind}/${row.name}`, type: row.type, status: row.status, spec, scorecards: kind === 'experiments' ? await loadScorecards(store, row.name) : [] };
  } finally {
    store.close();
  }
}
