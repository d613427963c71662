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

export function costModelOf(config: Config): { model: CostModel; source: 'config' | 'default' } {
  const c = config.jobs?.cost;
  if (!c) return { model: DEFAULT_COST, source: 'default' };
  return {
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

export function describeCostModel(m: CostModel, source: 'config' | 'default'): string {
  if (source === 'default') return DEFAULT_COST_NOTE;
  return `cost model (config): $${m.usdPerTBScanned}/TB scanned + $${m.usdPerCreditHour}/warehouse-hour + $${m.usdPerCpuSecond}/CPU-second`;
}
