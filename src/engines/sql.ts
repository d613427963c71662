/**
 * Builds the one aggregation query that returns sufficient statistics per variant:
 * n, shifted sums and shifted cross-products of [y, x1..xk] (or [num, den, x1..xk]).
 * Only standard aggregates (COUNT, SUM, FILTER) so the same SQL can run on a warehouse.
 *
 * Each distinct (expression, shift) is projected once in an inner SELECT, so encodings such
 * as one-hot indicators and NULL handling are evaluated once per row; identical aggregates
 * requested by several metrics (the covariate block) are computed once.
 */
import type { Moments } from '../stats/moments.js';
import { DIALECTS, type Dialect } from './dialect.js';

export interface ColumnExpr {
  name: string;
  /** SQL expression over the relation; must be non-NULL on the rows the request's filter keeps. */
  expr: string;
  /**
   * A 0/1 indicator of one level of a categorical cell key (see `cellKeys`). Such columns are not
   * summed in SQL: the query groups by the key, and their sums and cross-products are folded
   * exactly from the per-cell statistics of the numeric columns.
   */
  indicator?: { key: number; level: string };
}

export interface MomentRequest {
  key: string;
  /** Optional SQL predicate restricting the rows (e.g. "y IS NOT NULL" for drop-NULL metrics). */
  filter?: string;
  columns: ColumnExpr[];
  /** Constant subtracted from each column before summing, for numerical stability. */
  shift: number[];
}

/**
 * A cell key grouped per row by a raw column (no expression per row: the scan groups by the
 * stored value, as a plain GROUP BY does) and mapped to its label once per cell by an outer
 * query that re-adds the cells sharing a label. For a column with few distinct values; the
 * extra aggregates must then be sums or counts (they are re-added too).
 */
export interface RawCellKey {
  raw: string;
  /** SQL label of the cell from its raw value (the inner query's column named `cell`). */
  label: (cell: string) => string;
}

export interface MomentsQuery {
  sql: string;
  /** Turns the query's rows into moments per request key and per group. */
  decode(rows: Record<string, unknown>[]): Map<string, Map<string, Moments>>;
  /** Extra per-group aggregates requested with `extra` (alias -> value per group). */
  extras(rows: Record<string, unknown>[]): Map<string, Map<string, number>>;
}

/**
 * @param extra additional per-group aggregates over the relation's own columns (e.g. NULL counts),
 *              alias -> aggregate SQL; they are evaluated in the same pass.
 * @param dialect the engine's SQL dialect (filtered aggregates, casts, literals)
 */
export function buildMomentsQuery(relation: string, groupExpr: string, requests: MomentRequest[], extra: Record<string, string> = {}, cellKeys: (string | RawCellKey)[] = [], dialect: Dialect = DIALECTS.duckdb): MomentsQuery {
  const projected = new Map<string, string>(); // projected expression -> column alias
  const project = (text: string, prefix: string): string => {
    let a = projected.get(text);
    if (!a) {
      a = `${prefix}${projected.size}`;
      projected.set(text, a);
    }
    return a;
  };
  const aggs = new Map<string, string>(); // aggregate text -> alias
  const alias = (text: string): string => {
    let a = aggs.get(text);
    if (!a) {
      a = `a${aggs.size}`;
      aggs.set(text, a);
    }
    return a;
  };
  const plans = requests.map((req) => {
    const filter = req.filter ? project(`(${req.filter})`, '__f') : undefined;
    // Numeric columns get SQL aggregates; indicator columns are folded from the cells later.
    const numeric = req.columns.map((c, i) => (c.indicator ? null : i)).filter((i): i is number => i !== null);
    const cols = new Map<number, string>();
    for (const i of numeric) {
      const c = req.columns[i] as ColumnExpr;
      const s = req.shift[i] ?? 0;
      cols.set(i, project(s === 0 ? `(${c.expr})` : `((${c.expr}) - ${dialect.number(s)})`, '__c'));
    }
    const n = alias(dialect.count(filter));
    const sums = new Map<number, string>();
    const cross = new Map<string, string>();
    for (const i of numeric) sums.set(i, alias(dialect.sum(cols.get(i) as string, filter)));
    for (const i of numeric) {
      for (const j of numeric) {
        if (j < i) continue;
        const [a, b] = [cols.get(i) as string, cols.get(j) as string].sort();
        cross.set(`${i},${j}`, alias(dialect.sum(`${a} * ${b}`, filter)));
      }
    }
    return { req, n, sums, cross };
  });
  const extraAliases = Object.entries(extra).map(([name, sql]) => ({ name, alias: alias(sql) }));
  // Extra aggregates read the relation's own columns, so those stay visible in the inner SELECT.
  const keyCols = cellKeys.map((_, i) => `__k${i}`);
  const raw = cellKeys.some((k) => typeof k !== 'string');
  // With raw keys the scan groups by the raw values (__r<i>) and an outer query labels the cells.
  const scanKeys = cellKeys.map((k, i) => (typeof k === 'string' ? `__k${i}` : `__r${i}`));
  const inner = [
    `${dialect.text(groupExpr)} AS __group`,
    ...cellKeys.map((k, i) => `${typeof k === 'string' ? k : k.raw} AS ${scanKeys[i] as string}`),
    ...[...projected.entries()].map(([text, a]) => `${text} AS ${a}`),
    ...(extraAliases.length > 0 ? ['*'] : []),
  ];
  const select = [...aggs.entries()].map(([text, a]) => `${text} AS ${a}`).join(',\n  ');
  const by = ['__group', ...keyCols].join(', ');
  const scanBy = ['__group', ...scanKeys].join(', ');
  const scan = `SELECT ${scanBy},\n  ${select}\nFROM (SELECT ${inner.join(', ')} FROM ${relation}) AS __p\nGROUP BY ${scanBy}`;
  let sql = `${scan}\nORDER BY ${by}`;
  if (raw) {
    const labels = cellKeys.map((k, i) => (typeof k === 'string' ? `__k${i}` : k.label(`__r${i}`)));
    const outer = ['__group', ...labels.map((l, i) => `${l} AS __k${i}`), ...[...aggs.values()].map((a) => `SUM(${a}) AS ${a}`)];
    sql = `SELECT ${outer.join(', ')}\nFROM (${scan}) AS __cells\nGROUP BY ${['__group', ...labels].join(', ')}\nORDER BY ${by}`;
  }
  const num = (row: Record<string, unknown>, a: string): number => {
    const v = row[a];
    return v === null || v === undefined ? 0 : Number(v);
  };
  const groupsOf = (rows: Record<string, unknown>[]): Map<string, Record<string, unknown>[]> => {
    const m = new Map<string, Record<string, unknown>[]>();
    for (const row of rows) {
      const g = String(row.__group);
      const list = m.get(g) ?? [];
      list.push(row);
      m.set(g, list);
    }
    return m;
  };
  return {
    sql,
    decode(rows) {
      const out = new Map<string, Map<string, Moments>>();
      const byGroupRows = groupsOf(rows);
      for (const p of plans) {
        const k = p.req.columns.length;
        const byGroup = new Map<string, Moments>();
        for (const [g, cells] of byGroupRows) {
          const m: Moments = { n: 0, names: p.req.columns.map((c) => c.name), shift: [...p.req.shift], sums: new Array<number>(k).fill(0), cross: Array.from({ length: k }, () => new Array<number>(k).fill(0)) };
          for (const cell of cells) {
            const n = num(cell, p.n);
            if (n === 0) continue;
            // The value of each column that is constant within the cell (indicators), else null.
            const constant = p.req.columns.map((c) => (c.indicator ? (String(cell[`__k${c.indicator.key}`]) === c.indicator.level ? 1 : 0) : null));
            const sum = (i: number): number => {
              const v = constant[i];
              return v === null || v === undefined ? num(cell, p.sums.get(i) as string) : n * (v - (p.req.shift[i] ?? 0));
            };
            m.n += n;
            for (let i = 0; i < k; i += 1) (m.sums)[i] = (m.sums[i] ?? 0) + sum(i);
            for (let i = 0; i < k; i += 1) {
              for (let j = i; j < k; j += 1) {
                const ci = constant[i];
                const cj = constant[j];
                let v: number;
                if (ci === null || ci === undefined) {
                  v = cj === null || cj === undefined ? num(cell, p.cross.get(`${i},${j}`) as string) : (cj - (p.req.shift[j] ?? 0)) * sum(i);
                } else {
                  v = (ci - (p.req.shift[i] ?? 0)) * sum(j);
                }
                const row = m.cross[i] as number[];
                row[j] = (row[j] ?? 0) + v;
                if (i !== j) (m.cross[j] as number[])[i] = row[j] as number;
              }
            }
          }
          byGroup.set(g, m);
        }
        out.set(p.req.key, byGroup);
      }
      return out;
    },
    extras(rows) {
      const out = new Map<string, Map<string, number>>();
      for (const e of extraAliases) {
        const m = new Map<string, number>();
        for (const row of rows) m.set(String(row.__group), (m.get(String(row.__group)) ?? 0) + num(row, e.alias));
        out.set(e.name, m);
      }
      return out;
    },
  };
}
