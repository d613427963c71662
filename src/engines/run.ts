/**
 * Where an analysis reads its units from: a data file (loaded into an in-memory DuckDB), a
 * table of the project store, or an experiment in the store. Shared by analyze and power.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { Store, quoteIdent } from '../store/store.js';
import { describeFile } from '../store/import.js';
import { analyze, type AnalysisMetric, type AnalyzeResult, type NullPolicy, type TestSettings } from './analyze.js';
import { analyzeExperiment } from './experiment.js';
import { describeRelation } from './profile.js';

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
  };
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
  if (isFile) {
    if (fs.existsSync(file) && fs.statSync(file).isFile() && fs.statSync(file).size === 0) {
      throw new UserError(`${data} is empty`, { hint: 'export the unit-level data again: a header line and one row per unit', code: 'EMPTY' });
    }
    store = await Store.memory({ migrate: false });
    try {
      const { reader } = await describeFile(store, file);
      await store.run(`CREATE TEMP TABLE __data AS SELECT * FROM ${reader}`);
      const [count] = await store.all('SELECT count(*) AS n FROM __data');
      if (Number(count?.n ?? 0) === 0) throw new UserError(`${data} has a header but no rows`, { hint: 'export the unit-level data again: one row per unit under the header', code: 'EMPTY' });
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
    const metrics: AnalysisMetric[] = [...req.metrics.map((m) => ({ name: m, kind: 'value' as const, column: m })), ...req.ratios];
    // CUPED with no covariates: use pre_<metric> when the data has it.
    const cols = (await describeRelation(store, relation)).map((c) => c.name);
    const withPre = metrics.map((m) => (m.kind === 'value' && req.covariates.length === 0 && req.method === 'cuped' && cols.includes(`pre_${m.column}`) ? { ...m, covariates: [`pre_${m.column}`] } : m));
    return await analyze(store, {
      ...common,
      relation,
      source: data,
      experiment: null,
      unit: req.unit,
      group: req.group,
      metrics: withPre,
      covariates: req.covariates,
      defaultNulls: req.nulls ?? 'zero',
    });
  } finally {
    store.close();
  }
}
