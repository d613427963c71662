/**
 * Builds the one aggregation query that returns sufficient statistics per variant:
 * n, shifted sums and shifted cross-products of [y, x1..xk] (or [num, den, x1..xk]).
 * Only standard aggregates (COUNT, SUM, FILTER) so the same SQL can run on a warehouse.
 * Identical aggregates requested by several metrics (the covariate block) are computed once.
 */
import type { Moments } from './moments.js';

export interface ColumnExpr {
  name: string;
  /** SQL expression over the relation; must be non-NULL on the rows the request's filter keeps. */
  expr: string;
}

export interface MomentRequest {
  key: string;
  /** Optional SQL predicate restricting the rows (e.g. "y IS NOT NULL" for drop-NULL metrics). */
  filter?: string;
  columns: ColumnExpr[];
  /** Constant subtracted from each column before summing, for numerical stability. */
  shift: number[];
}

export interface MomentsQuery {
  sql: string;
  /** Turns the query's rows into moments per request key and per group. */
  decode(rows: Record<string, unknown>[]): Map<string, Map<string, Moments>>;
}

function lit(n: number): string {
  if (!Number.isFinite(n)) return '0';
  // Full precision literal; DuckDB parses it as DOUBLE.
  return `CAST(${n.toPrecision(17)} AS DOUBLE)`;
}

export function buildMomentsQuery(relation: string, groupExpr: string, requests: MomentRequest[]): MomentsQuery {
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
    const filter = req.filter ? ` FILTER (WHERE ${req.filter})` : '';
    const centred = req.columns.map((c, i) => {
      const s = req.shift[i] ?? 0;
      return s === 0 ? `(${c.expr})` : `((${c.expr}) - ${lit(s)})`;
    });
    const n = alias(`COUNT(*)${filter}`);
    const sums = centred.map((e) => alias(`SUM(${e})${filter}`));
    const cross: string[][] = centred.map(() => []);
    for (let i = 0; i < centred.length; i += 1) {
      for (let j = i; j < centred.length; j += 1) {
        const a = alias(i === j ? `SUM(${centred[i]} * ${centred[i]})${filter}` : `SUM(${centred[i]} * ${centred[j]})${filter}`);
        (cross[i] as string[])[j] = a;
        (cross[j] as string[])[i] = a;
      }
    }
    return { req, n, sums, cross };
  });
  const select = [...aggs.entries()].map(([text, a]) => `${text} AS ${a}`).join(',\n  ');
  const sql = `SELECT CAST(${groupExpr} AS VARCHAR) AS __group,\n  ${select}\nFROM ${relation}\nGROUP BY 1\nORDER BY 1`;
  return {
    sql,
    decode(rows) {
      const out = new Map<string, Map<string, Moments>>();
      for (const p of plans) {
        const byGroup = new Map<string, Moments>();
        for (const row of rows) {
          const num = (a: string): number => {
            const v = row[a];
            return v === null || v === undefined ? 0 : Number(v);
          };
          byGroup.set(String(row.__group), {
            n: num(p.n),
            names: p.req.columns.map((c) => c.name),
            shift: [...p.req.shift],
            sums: p.sums.map(num),
            cross: p.cross.map((r) => r.map(num)),
          });
        }
        out.set(p.req.key, byGroup);
      }
      return out;
    },
  };
}
