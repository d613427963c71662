/**
 * The shapes whatchanged takes and returns (options, result), shared by the DuckDB path
 * (index.ts) and the warehouse path (on-engine.ts).
 */
import type { ImpactParams } from '../../stats/whatchanged/fold.js';
import type { Agg, Decomposition, Pair } from '../../stats/whatchanged/math.js';
import type { Period } from '../../stats/whatchanged/period.js';

export interface FileSource {
  /** A table expression DuckDB can read, e.g. read_parquet('x.parquet') (see store/import.ts readerSql). */
  relation: string;
  /** What to call it in messages (the file name). */
  source: string;
  time?: string;
  value?: string;
  unit?: string;
  /**
   * Copy the columns the drill-down uses (time, value, unit, dimensions, columns named in --where)
   * into a temp table before the scans (CSV and JSON: parsed once instead of once per scan).
   * Only those columns are kept, so a wide file costs memory for what is used, not for its width.
   */
  materialize?: boolean;
}

export interface WhatChangedOptions {
  /** An event name (store) or a metric entity; a label for file data. */
  metric: string;
  /** Default: the metric entity's kind, else sum when file data has a value column, else count. */
  agg?: Agg;
  /** Defaults: current = the last 7 days of data, baseline = the 7 days before. */
  baseline?: Period;
  current?: Period;
  /** Dimension names, or 'auto' (default). */
  dimensions?: readonly string[] | 'auto';
  /** Adds this experiment's groups as a dimension (store only). */
  experiment?: string;
  /** SQL predicate over the event rows (store: event, user and group columns; file: its columns). */
  where?: string;
  /** Segments per dimension in the text table and 2-D cells kept (default 10). */
  top?: number;
  /** Values kept per dimension; the rest are grouped as "(other)" (default 50). */
  maxValues?: number;
  percentiles?: boolean;
  /** Significance level for the segment tests (BH) and the noise check (default 0.05). */
  alpha?: number;
  /** Auto mode: dimensions kept at most (default 20), fewest distinct values first. */
  maxDimensions?: number;
  /** NaN / ±Infinity in the value column (sum and mean): error (default), or null to leave those rows out. */
  nonFinite?: 'error' | 'null';
  data?: FileSource;
}

export interface PeriodInfo {
  from: string;
  to: string;
  label: string;
  days: number;
}

export interface NoiseResult {
  bucket: 'day';
  baseline_days: number;
  current_days: number;
  /** Mean and standard deviation of the daily metric in each period. */
  baseline_daily_mean: number;
  current_daily_mean: number;
  baseline_daily_sd: number | null;
  current_daily_sd: number | null;
  t: number | null;
  df: number | null;
  p_value: number | null;
}

export interface Headline {
  baseline: number | null;
  current: number | null;
  delta: number | null;
  rel_delta: number | null;
  baseline_units: number;
  current_units: number;
  baseline_events: number;
  current_events: number;
  /** Totals: the baseline is scaled by this (current days / baseline days). */
  scale: number;
  noise: NoiseResult | null;
  beyond_noise: boolean | null;
}

/** One value of a dimension: its decomposition (mix + rate = impact) and its test. */
export interface SegmentResult extends Decomposition {
  value: string;
  /** Share of the total change (sums to 1 over a dimension). */
  contribution: number | null;
  baseline_units: number;
  current_units: number;
  surprise: number;
  /** Member of the dimension's Adtributor explanatory set. */
  explains: boolean;
  statistic: number | null;
  p_value: number | null;
  q_value: number | null;
  significant: boolean;
}

export interface DimensionResult {
  dimension: string;
  rank: number;
  /** Adtributor score: total surprise of the explanatory set. */
  score: number;
  explanatory_power: number | null;
  explains: boolean;
  /** Mix and rate parts of the total change along this dimension (sum to the change). */
  mix: number;
  rate: number;
  /** Distinct values in the data ("(none)" not counted); capped when more than max-values. */
  values: number;
  capped: boolean;
  segments: SegmentResult[];
}

/** A 2-D cell: a segment's figures for a pair of dimension values. */
export interface CellResult extends Pick<SegmentResult, 'baseline' | 'current' | 'delta' | 'contribution' | 'impact' | 'mix' | 'rate' | 'baseline_units' | 'current_units' | 'p_value' | 'q_value' | 'significant'> {
  dimensions: Record<string, string>;
}

export interface PercentileRow {
  p: number;
  baseline: number | null;
  current: number | null;
  delta: number | null;
  rel_delta: number | null;
}

export interface WhatChangedResult {
  metric: string;
  agg: Agg;
  source: string;
  /** The store event the metric reads (store mode). */
  event: string | null;
  periods: { baseline: PeriodInfo; current: PeriodInfo };
  headline: Headline;
  dimensions: DimensionResult[];
  cells: CellResult[];
  percentiles: PercentileRow[] | null;
  summary: string;
  notices: string[];
  /** Notices about the dimension tables only (dimensions left out, values grouped): they matter when the tables are shown. */
  table_notices: string[];
  settings: { alpha: number; top: number; max_values: number; where: string | null; experiment: string | null; dimensions: string[] };
}

export interface DailyRow extends Record<string, unknown> {
  period: number;
  day: number;
  c: number;
  v: number | null;
}

/**
 * The sums whatchanged needs, from whichever engine computed them: daily totals, the period
 * totals, per dimension its distinct values and '(none)' rows; on request the values that move the
 * metric most, the sufficient statistics per grouping (rows: period, k<i> per dimension of the
 * grouping (NULL otherwise), n, v, c, vv, cc, vc) and the per-unit quantiles.
 */
export interface Aggregates {
  daily: DailyRow[];
  overall: Pair;
  distinct: number[];
  hasNone: boolean[];
  /** Keeps these dimensions (by index, in order): later indices refer to the kept list. */
  keepDims(keep: number[]): Promise<void>;
  topValues(dim: number, limit: number, p: ImpactParams): Promise<string[]>;
  grouping(groupings: number[][], keep: (string[] | null)[]): Promise<Record<string, unknown>[]>;
  quantiles(): Promise<{ q0: (number | null)[]; q1: (number | null)[] }>;
}

/** Where the change is explained from: the metric, its source, and the data's time range (for messages). */
export interface ExplainSource {
  label: string;
  source: string;
  event: string | null;
  agg: Agg;
  range: () => Promise<{ lo: Date | null; hi: Date | null }>;
}
