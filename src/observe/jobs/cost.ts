/**
 * The cost model of `jobs`: what a query costs, from the user's rates (config `jobs.cost`) or
 * the defaults below. Pure. Cost is linear in its inputs, so a group's cost is the cost of
 * its sums.
 */
import type { Config } from '../../core/config.js';

export interface CostModel {
  /** USD per terabyte (1e12 bytes) scanned, as a scan-priced warehouse bills (BigQuery on-demand: 6.25). */
  usdPerTBScanned: number;
  /** USD per hour of warehouse time (a Snowflake X-Small: 1 credit/hour, about 3 USD a credit). */
  usdPerCreditHour: number;
  /** USD per CPU-second the engine spent (a cloud VM at 0.05 USD per vCPU-hour: 0.05 / 3600). */
  usdPerCpuSecond: number;
}

/** Defaults: the local embedded DuckDB, paid for as CPU time on a cloud VM; scans and warehouse time free. */
export const DEFAULT_COST: CostModel = { usdPerTBScanned: 0, usdPerCreditHour: 0, usdPerCpuSecond: 0.05 / 3600 };

export const DEFAULT_COST_NOTE =
  'default cost model: local DuckDB on a cloud VM at $0.05 per vCPU-hour, scans and warehouse time free; set jobs.cost in the config (usdPerTBScanned, usdPerCreditHour, usdPerCpuSecond) for your warehouse';

export interface CostInputs {
  /** Bytes the scans produced. */
  bytes_scanned: number;
  /** Wall time in ms (billed warehouse time). */
  duration_ms: number;
  /** CPU time in ms summed over DuckDB's threads (wall time when the profile has none). */
  cpu_ms: number;
}

export function costModelOf(config: Config): { model: CostModel; source: 'config' | 'default'; set: (keyof CostModel)[] } {
  const c = config.jobs?.cost;
  if (!c) return { model: DEFAULT_COST, source: 'default', set: [] };
  return {
    set: (['usdPerTBScanned', 'usdPerCreditHour', 'usdPerCpuSecond'] as const).filter((k) => c[k] !== undefined),
    model: {
      usdPerTBScanned: c.usdPerTBScanned ?? DEFAULT_COST.usdPerTBScanned,
      usdPerCreditHour: c.usdPerCreditHour ?? DEFAULT_COST.usdPerCreditHour,
      usdPerCpuSecond: c.usdPerCpuSecond ?? DEFAULT_COST.usdPerCpuSecond,
    },
    source: 'config',
  };
}

export function costOf(x: CostInputs, m: CostModel): number {
  return (x.bytes_scanned / 1e12) * m.usdPerTBScanned + (x.duration_ms / 3_600_000) * m.usdPerCreditHour + (x.cpu_ms / 1000) * m.usdPerCpuSecond;
}

/** A rate in dollars: up to 4 significant digits, no exponent, no float noise ($0.05, $6.25, $0.0000139). */
export function formatRate(usd: number): string {
  if (usd === 0) return '$0';
  const digits = usd >= 0.01 ? 4 : 3;
  const text = usd.toLocaleString('en-US', { maximumSignificantDigits: digits, maximumFractionDigits: 20, useGrouping: false });
  return `$${text}`;
}

/**
 * The cost model in one line: each rate with its unit, CPU per vCPU-hour (as cloud VMs are
 * priced), and which rates are the user's (config jobs.cost) and which the defaults.
 */
export function describeCostModel(m: CostModel, source: 'config' | 'default', set: readonly (keyof CostModel)[] = []): string {
  if (source === 'default') return DEFAULT_COST_NOTE;
  const rates: [keyof CostModel, string][] = [
    ['usdPerTBScanned', `${formatRate(m.usdPerTBScanned)}/TB scanned`],
    ['usdPerCreditHour', `${formatRate(m.usdPerCreditHour)}/warehouse-hour of query time`],
    ['usdPerCpuSecond', `${formatRate(m.usdPerCpuSecond * 3600)}/vCPU-hour`],
  ];
  const mine = rates.filter(([k]) => set.includes(k)).map(([, t]) => t);
  const defaults = rates.filter(([k]) => !set.includes(k)).map(([, t]) => t);
  return `cost model: ${[...mine, ...defaults].join(' + ')}${mine.length > 0 && defaults.length > 0 ? ` (${defaults.length === 1 ? 'the last is the default' : `the last ${defaults.length} are defaults`}; the rest from config jobs.cost)` : defaults.length === 0 ? ' (config jobs.cost)' : ' (defaults)'}`;
}
