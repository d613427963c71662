/**
 * Where `profile --experiment X --group G [--unit U]` may write, checked before the program runs.
 * A profile run is a unit exposed to G; in an experiment that holds product users (defined in the
 * project, or with exposed units that are not profile runs) that unit would shift the SRM check
 * and the per-user means, and a typo'd group breaks the analysis. So: a product experiment needs
 * --product-experiment and one of its own groups; in a profile-only experiment a group that is
 * close to an existing one (Tset / Test) needs --new-group; and a --unit already in another group
 * of X is refused (a unit stays in its first group: its runs would count there).
 *
 * `targetFacts` reads the store; `checkTarget` is pure.
 */
import { UserError, didYouMean } from '../../core/errors.js';
import { int } from '../../ui/format.js';
import { quoteLiteral, type Store } from '../../store/store.js';
import { TOOL_EVENTS } from '../../store/tool-events.js';
import { shellQuote } from './processes.js';

export interface GroupFacts {
  name: string;
  /** Exposed units. */
  units: number;
  /** Of those, units that are not profile runs (no cpu_sample / cpu_time events). */
  productUnits: number;
}

export interface TargetFacts {
  experiment: string;
  /** Defined in the project (an experiments entity). */
  defined: boolean;
  /** Group names of the definition (empty when none or not defined). */
  definedGroups: string[];
  /** Exposed groups, by name. */
  groups: GroupFacts[];
  /** The --unit's exposure to this experiment, when it has one. */
  unit: { id: string; group: string; firstExposure: string } | null;
}

export interface TargetOptions {
  group: string;
  /** --unit as given (null: a fresh profile:<id> unit, never exposed before). */
  unit: string | null;
  productExperiment: boolean;
  newGroup: boolean;
}

function groupNames(f: TargetFacts): string[] {
  const names = [...f.definedGroups];
  for (const g of f.groups) if (!names.includes(g.name)) names.push(g.name);
  return names;
}

/** The check, on facts read before the run. Throws a UserError (exit 2) naming the fix; returns a note for the report or null. */
export function checkTarget(f: TargetFacts, o: TargetOptions): string | null {
  const x = f.experiment;
  const productUnits = f.groups.reduce((a, g) => a + g.productUnits, 0);
  const product = f.defined || productUnits > 0;
  const names = groupNames(f);
  const listed = (withRuns: boolean): string =>
    names.map((n) => {
      const g = f.groups.find((y) => y.name === n);
      return withRuns ? `${n} (${g ? int(g.units) : 0} ${(g?.units ?? 0) === 1 ? 'run' : 'runs'})` : n;
    }).join(', ') || '(none yet)';
  if (product && !o.productExperiment) {
    const what = productUnits > 0 ? `a product experiment with ${int(productUnits)} exposed ${productUnits === 1 ? 'user' : 'users'}` : 'an experiment defined in the project';
    throw new UserError(`experiment ${x} is ${what}: a profile run would count as one of its users (its SRM check and per-user means)`, {
      hint: `put profile runs in an experiment of their own, e.g. --experiment ${shellQuote(`${x}_perf`)}, or pass --product-experiment to count this run in ${x} anyway`,
      code: 'PROFILE_PRODUCT_EXPERIMENT',
      exitCode: 2,
    });
  }
  if (names.length > 0 && !names.includes(o.group)) {
    const close = didYouMean(o.group, names);
    if (product) {
      throw new UserError(`experiment ${x} has no group "${o.group}"${close ? ` (did you mean "${close}"?)` : ''}`, {
        hint: `its groups: ${listed(false)}`,
        code: 'PROFILE_UNKNOWN_GROUP',
        exitCode: 2,
      });
    }
    // v1 / v2, node20 / node22: names that differ only in a number are meant to differ.
    const numbered = close !== undefined && close.replace(/\d+/g, '#').toLowerCase() === o.group.replace(/\d+/g, '#').toLowerCase() && close.toLowerCase() !== o.group.toLowerCase();
    if (close && !numbered && !o.newGroup) {
      throw new UserError(`experiment ${x} has no group "${o.group}" (did you mean "${close}"?)`, {
        hint: `its groups: ${listed(true)}; pass --group ${shellQuote(close)}, or --new-group to start a group "${o.group}"`,
        code: 'PROFILE_UNKNOWN_GROUP',
        exitCode: 2,
      });
    }
  }
  if (o.unit !== null && f.unit && f.unit.group !== o.group) {
    throw new UserError(`unit ${o.unit} is already in ${x}'s ${f.unit.group} group (first exposed ${f.unit.firstExposure}); a unit stays in its first group, so this run would count there`, {
      hint: `use another --unit for the ${o.group} runs, e.g. --unit ${shellQuote(`${o.unit}-${o.group}`)}`,
      code: 'PROFILE_UNIT_GROUP',
      exitCode: 2,
    });
  }
  if (names.length > 0 && !names.includes(o.group)) return `new group ${o.group} in ${x} (its groups so far: ${listed(true)})`;
  return null;
}

function text(v: unknown): string {
  if (v instanceof Date) return v.toISOString().slice(0, 19).replace('T', ' ');
  return String(v);
}

/** What the store holds about experiment X (and the --unit's exposure to it). */
export async function targetFacts(store: Store, experiment: string, unit: string | null): Promise<TargetFacts> {
  const tool = TOOL_EVENTS.map((e) => quoteLiteral(e)).join(', ');
  const defs = await store.all<{ spec: unknown }>(`SELECT spec FROM entities WHERE kind = 'experiments' AND name = $1`, [experiment]);
  let definedGroups: string[] = [];
  if (defs[0]) {
    try {
      const spec = (typeof defs[0].spec === 'string' ? JSON.parse(defs[0].spec) : defs[0].spec) as { groups?: { name?: unknown }[] } | null;
      definedGroups = (Array.isArray(spec?.groups) ? spec.groups : []).map((g) => g.name).filter((n): n is string => typeof n === 'string');
    } catch {
      definedGroups = [];
    }
  }
  const rows = await store.all<{ g: string; units: number; product: number }>(
    `SELECT x.group_name AS g, count(*) AS units, count(*) FILTER (WHERE p.unit_id IS NULL) AS product
     FROM exposures x LEFT JOIN (
       SELECT DISTINCT unit_id FROM events
       WHERE event IN (${tool}) AND unit_id IN (SELECT unit_id FROM exposures WHERE experiment = $1)
     ) p ON p.unit_id = x.unit_id
     WHERE x.experiment = $1 GROUP BY 1 ORDER BY 1`,
    [experiment],
  );
  let found: TargetFacts['unit'] = null;
  if (unit !== null) {
    const u = await store.all<{ g: string; t: unknown }>(`SELECT group_name AS g, first_exposure AS t FROM exposures WHERE experiment = $1 AND unit_id = $2`, [experiment, unit]);
    if (u[0]) found = { id: unit, group: String(u[0].g), firstExposure: text(u[0].t) };
  }
  return {
    experiment,
    defined: defs.length > 0,
    definedGroups,
    groups: rows.map((r) => ({ name: String(r.g), units: Number(r.units), productUnits: Number(r.product) })),
    unit: found,
  };
}
