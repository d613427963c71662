/**
 * Where an analysis reads its units from: a data file (loaded into an in-memory DuckDB), a
 * table of the project store, or an experiment in the store. Shared by analyze and power.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { Store, quoteIdent } from '../store/store.js';
import { csvReadError, describeFile, detectFormat, type FileFormat } from '../store/import.js';
import { analyze, type AnalysisMetric, type AnalyzeOptions, type AnalyzeResult, type NullPolicy, type TestSettings } from './analyze.js';
import { asEngine, duckdbColumn, type Engine } from './engine.js';
import { analyzeExperiment } from './experiment.js';
import { engineTables, openEngine, type EngineChoice } from './open.js';
import { PROFILE_HEAD_ROWS, describeRelation } from './profile.js';

export interface AnalysisRequest extends TestSettings {
  cwd: string;
  /** Project store file (used for --experiment and store tables). */
  db: string;
  data?: string | undefined;
  experiment?: string | undefined;
  unit: string;
  group: string;
  metrics: string[];
  ratios: AnalysisMetric[];
  covariates: string[];
  nulls?: NullPolicy | undefined;
  preDays: number;
  /** File mode: read NA, N/A, NULL and None in a CSV as text (default: missing, like an empty cell). */
  keepNa?: boolean | undefined;
  /** A warehouse to compute the sums in (null/absent: the DuckDB project store). */
  engine?: EngineChoice | null | undefined;
}

const DATA_EXT = /\.(csv|tsv|txt|parquet|pq|json|jsonl|ndjson)$/i;

export async function runAnalysis(req: AnalysisRequest): Promise<AnalyzeResult> {
  const common: TestSettings = {
    control: req.control,
    method: req.method,
    alpha: req.alpha,
    tails: req.tails,
    winsorize: req.winsorize,
    correction: req.correction,
    weights: req.weights,
    nonFinite: req.nonFinite,
    dedupe: req.dedupe,
    segments: req.segments,
    percentiles: req.percentiles,
    onStep: req.onStep,
  };
  // A local file is always analyzed in DuckDB; only an explicit --engine makes that an error.
  const localFile = req.data !== undefined && DATA_EXT.test(req.data);
  if (req.engine && !(localFile && !req.engine.explicit)) return runOnEngine(req, common, req.engine);
  if (req.experiment !== undefined) {
    const store = await Store.open(req.db, { readOnly: true });
    try {
      return await analyzeExperiment(store, { ...common, experiment: req.experiment, metrics: req.metrics, ratios: req.ratios, covariates: req.covariates, preDays: req.preDays, nulls: req.nulls });
    } finally {
      store.close();
    }
  }
  const data = req.data as string;
  const file = path.resolve(req.cwd, data);
  const isFile = fs.existsSync(file) || DATA_EXT.test(data);
  let store: Store;
  let relation: string;
  let known: Known | undefined;
  if (isFile) {
    if (fs.existsSync(file) && fs.statSync(file).isFile() && fs.statSync(file).size === 0) {
      throw new UserError(`${data} is empty`, { hint: 'export the unit-level data again: a header line and one row per unit', code: 'EMPTY' });
    }
    store = await Store.memory({ migrate: false });
    try {
      req.onStep?.(`reading ${path.basename(file)}`);
      const { reader, columns } = await describeFile(store, file, { keepNa: req.keepNa });
      const format = detectFormat(file);
      await store.run(fileRelationSql(format, reader, columns.map((c) => c.name), usedColumns(req), req.dedupe)).catch((error: unknown) => {
        throw csvReadError(file, error) ?? error;
      });
      // The rows with no group are counted in the same query when the group column is named exactly.
      const group = columns.some((c) => c.name === req.group) ? req.group : undefined;
      const [count] = await store.all(`SELECT count(*) AS n${group ? `, count(*) FILTER (WHERE ${quoteIdent(group)} IS NULL) AS nulls` : ''} FROM __data`);
      const rows = Number(count?.n ?? 0);
      if (rows === 0) throw new UserError(`${data} has a header but no rows`, { hint: 'export the unit-level data again: one row per unit under the header', code: 'EMPTY' });
      // A Parquet file read in place: the view's columns are the file's (no second DESCRIBE), and
      // its first rows are read by row number.
      const inPlace = format === 'parquet' && req.dedupe !== 'first';
      const head = inPlace ? parquetHead(reader, columns.map((c) => c.name)) : undefined;
      known = {
        rows,
        ...(group ? { nullGroups: { column: group, rows: Number(count?.nulls ?? 0) } } : {}),
        ...(head ? { head } : {}),
        ...(inPlace ? { columns: columns.map((c) => duckdbColumn(c.name, c.type)) } : {}),
      };
    } catch (error) {
      store.close();
      throw error;
    }
    relation = '__data';
  } else {
    store = await Store.open(req.db, { readOnly: true });
    const exists = await store.all('SELECT 1 FROM information_schema.tables WHERE table_name = $1', [data]);
    if (exists.length === 0) {
      store.close();
      throw new UserError(`--data ${data}: no such file, and no such table in the project store`, {
        hint: 'pass a path to a CSV/Parquet/JSON file or a table name (`statsig-hack status` lists them)',
        code: 'FILE_NOT_FOUND',
      });
    }
    relation = quoteIdent(data);
  }
  try {
    return await analyzeTable(asEngine(store), relation, req, common, known);
  } finally {
    store.close();
  }
}

/**
 * The columns a file-mode request reads: `named` ones (unit, group, metrics, ratio parts, covariates,
 * segments, percentiles) and the `optional` pre_<metric> columns CUPED picks up when present.
 */
export function usedColumns(req: Pick<AnalysisRequest, 'unit' | 'group' | 'metrics' | 'ratios' | 'covariates' | 'segments' | 'percentiles'>): { named: string[]; optional: string[] } {
  const named = [req.unit, req.group, ...req.metrics, ...req.covariates, ...(req.segments ?? [])];
  const values = [...req.metrics];
  for (const r of req.ratios) {
    if (r.kind === 'ratio') named.push(r.num, r.den);
    else {
      named.push(r.column);
      values.push(r.column);
    }
    named.push(...(r.covariates ?? []));
  }
  for (const p of req.percentiles ?? []) named.push(p.column ?? p.metric);
  return { named: [...new Set(named)], optional: values.map((m) => `pre_${m}`) };
}

/**
 * How a data file becomes the relation __data. Parquet is read in place (a view: each pass reads
 * only the columns it needs, nothing is copied, memory stays flat in the row count). Text formats
 * (CSV, JSON) are parsed once into a temp table of only the columns the analysis uses: a view would
 * parse the whole text again on each pass. --dedupe first numbers rows in file order, so it reads a
 * materialised copy too.
 */
export function fileRelationSql(format: FileFormat, reader: string, fileColumns: string[], used: { named: string[]; optional: string[] }, dedupe: AnalysisRequest['dedupe']): string {
  if (format === 'parquet' && dedupe !== 'first') return `CREATE TEMP VIEW __data AS SELECT * FROM ${reader}`;
  // Matched as requireColumn does (case-insensitively); when a named column is missing every column
  // is kept, so the error that follows lists them all.
  const has = (name: string): boolean => fileColumns.some((c) => c.toLowerCase() === name.toLowerCase());
  const wanted = new Set([...used.named, ...used.optional].map((u) => u.toLowerCase()));
  const keep = fileColumns.filter((c) => wanted.has(c.toLowerCase()));
  const list = used.named.every(has) && keep.length > 0 ? keep.map(quoteIdent).join(', ') : '*';
  return `CREATE TEMP TABLE __data AS SELECT ${list} FROM ${reader}`;
}

/**
 * The first PROFILE_HEAD_ROWS rows of a Parquet file read in place (the __data view), by row
 * number: the reader skips every row group past the first, on any number of threads. A LIMIT
 * must run on one thread not to decode a row group per thread, and costs about twice the CPU.
 * None when the file has a column of that name.
 */
export function parquetHead(reader: string, fileColumns: string[]): string | undefined {
  if (!/^read_parquet\(.*\)$/s.test(reader) || fileColumns.some((c) => c.toLowerCase() === 'file_row_number')) return undefined;
  return `(SELECT * EXCLUDE (file_row_number) FROM ${reader.slice(0, -1)}, file_row_number = true) WHERE file_row_number < ${PROFILE_HEAD_ROWS}) AS __head`;
}

/** Table mode on any engine: one unit-level relation. */
type Known = NonNullable<AnalyzeOptions['known']>;

async function analyzeTable(engine: Engine, relation: string, req: AnalysisRequest, common: TestSettings, known?: Known): Promise<AnalyzeResult> {
  const metrics: AnalysisMetric[] = [...req.metrics.map((m) => ({ name: m, kind: 'value' as const, column: m })), ...req.ratios];
  // CUPED with no covariates: use pre_<metric> when the data has it.
  const described = known?.columns ?? (await describeRelation(engine, relation));
  const cols = described.map((c) => c.name);
  const withPre = metrics.map((m) => (m.kind === 'value' && req.covariates.length === 0 && req.method === 'cuped' && cols.includes(`pre_${m.column}`) ? { ...m, covariates: [`pre_${m.column}`] } : m));
  return analyze(engine, {
    ...common,
    relation,
    source: req.data as string,
    experiment: null,
    unit: req.unit,
    group: req.group,
    metrics: withPre,
    covariates: req.covariates,
    defaultNulls: req.nulls ?? 'zero',
    known: { ...known, columns: described },
  });
}

/**
 * A warehouse engine: --data names a table there (schema.table allowed); --experiment reads the
 * experiment's metric definitions from the project store and its exposures, events and users from
 * the engine's tables (config engine.tables).
 */
async function runOnEngine(req: AnalysisRequest, common: TestSettings, choice: EngineChoice): Promise<AnalyzeResult> {
  if (req.data !== undefined && DATA_EXT.test(req.data)) {
    throw new UserError(`--data ${req.data} is a file: files are analyzed in DuckDB, the ${choice.type} engine reads tables`, { hint: 'drop --engine, or pass a table name of the warehouse', code: 'USAGE', exitCode: 2 });
  }
  const engine = await openEngine(choice);
  try {
    if (req.experiment !== undefined) {
      const store = await Store.open(req.db, { readOnly: true });
      try {
        return await analyzeExperiment(store, { ...common, experiment: req.experiment, metrics: req.metrics, ratios: req.ratios, covariates: req.covariates, preDays: req.preDays, nulls: req.nulls }, { engine, tables: engineTables(choice.settings) });
      } finally {
        store.close();
      }
    }
    const relation = engine.dialect.table(req.data as string);
    try {
      await engine.columns(relation);
    } catch {
      throw new UserError(`--data ${req.data}: no such table in the ${choice.type} engine (or no access to it)`, { hint: 'pass schema.table as the warehouse names it', code: 'FILE_NOT_FOUND' });
    }
    return await analyzeTable(engine, relation, req, common);
  } finally {
    await engine.close();
  }
}
