/**
 * Which event a whatchanged --metric reads, and how it aggregates: an event name, or a metric
 * entity of the project store mapped to its event (count, sum and mean metrics). The events
 * themselves live where the catalog says (the project store, or a warehouse's events table).
 */
import { UsageError, UserError, errorMessage } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { MetricMappingError, metricFromSpec } from '../../store/metrics.js';
import type { Agg } from '../../stats/whatchanged/math.js';
import type { WhatChangedOptions } from './types.js';
import { listPreview } from './text.js';

/** Where the events are, as whatchanged asks about them. */
export interface EventCatalog {
  /** For messages: "the project store", "the postgres events table wh_events". */
  where: string;
  probe(event: string): Promise<{ exists: boolean; values: boolean }>;
  /** Event names, most frequent first (at most 200). */
  names(): Promise<string[]>;
}

/** The event and aggregation of --metric; metric entities come from the project store. */
export async function resolveMetric(store: Store, options: WhatChangedOptions, catalog: EventCatalog): Promise<{ event: string; agg: Agg }> {
  if (!options.metric) {
    const events = await catalog.names();
    throw new UsageError('whatchanged needs --metric <event>', {
      hint: events.length > 0 ? `events in ${catalog.where}: ${listPreview(events)}` : `${catalog.where} has no events yet; import some or pass --data <file>`,
    });
  }
  let event = options.metric;
  let agg = options.agg;
  let r = await catalog.probe(event);
  if (!r.exists) {
    const spec = await store.all<{ spec: unknown }>(`SELECT spec FROM entities WHERE kind = 'metrics' AND name = $1`, [options.metric]);
    if (spec[0]) {
      let def;
      try {
        def = metricFromSpec(typeof spec[0].spec === 'string' ? JSON.parse(spec[0].spec) : spec[0].spec);
      } catch (error) {
        const msg = error instanceof MetricMappingError ? error.message : errorMessage(error);
        throw new UserError(`cannot use metric "${options.metric}": ${msg}`, { hint: 'pass its event name with --metric and choose --agg count|sum|mean', code: 'UNSUPPORTED_METRIC' });
      }
      if (def.kind !== 'count' && def.kind !== 'sum' && def.kind !== 'mean') {
        throw new UserError(`metric "${options.metric}" is a ${def.type} metric; whatchanged handles count, sum and mean metrics`, {
          hint: `drill into its event instead: --metric ${def.event} --agg count|sum|mean`,
          code: 'UNSUPPORTED_METRIC',
        });
      }
      event = def.event;
      agg = agg ?? def.kind;
      r = await catalog.probe(event);
    }
  }
  if (!r.exists) {
    const events = await catalog.names();
    const metrics = await store.all<{ name: string }>(`SELECT name FROM entities WHERE kind = 'metrics' ORDER BY 1 LIMIT 200`);
    if (events.length === 0) {
      throw new UserError(`${catalog.where} has no events to drill into`, { hint: 'import events with `statsig-hack import events.csv --into events`, or pass --data <file>', code: 'NO_EVENTS' });
    }
    const hint = [`events: ${listPreview(events)}`];
    if (metrics.length > 0) hint.push(`metrics: ${listPreview(metrics.map((m) => m.name))}`);
    throw new UserError(`unknown metric "${options.metric}": no such event or metric in ${catalog.where}`, { hint: `valid choices — ${hint.join('; ')}`, code: 'UNKNOWN_METRIC', exitCode: 2 });
  }
  const finalAgg: Agg = agg ?? 'count';
  if (finalAgg !== 'count' && !r.values) {
    throw new UserError(`event "${event}" has no values, so there is nothing to ${finalAgg === 'sum' ? 'sum' : 'average'}`, { hint: 'use --agg count', code: 'NO_VALUES' });
  }
  return { event, agg: finalAgg };
}
