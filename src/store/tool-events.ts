/**
 * Events the tool writes about its own runs (`profile`: cpu_sample, cpu_time), not product
 * activity. They share the events table (so analyze and whatchanged read them by name), and are
 * left out of every figure over "any event": daily active units (forecast / map --metric dau),
 * the end of the data, and Wrapped's experiments and units (productUnitSql). A profile run today must not count as an active user, nor extend a product
 * series to today with zeros.
 */
import { CPU_EVENT, CPU_TIME_EVENT } from '../observe/profile/events.js';
import { quoteLiteral } from './store.js';

export const TOOL_EVENTS: readonly string[] = [CPU_EVENT, CPU_TIME_EVENT];

/** SQL: the event column names product activity (not one of the tool's own events). */
export function productEventSql(column = 'event'): string {
  return `${column} NOT IN (${TOOL_EVENTS.map((e) => quoteLiteral(e)).join(', ')})`;
}

/**
 * SQL: the unit column names a product unit: one with a product event, or with no event at all
 * (exposed, never active), not a unit whose every event is the tool's own (the unit of a
 * `profile --experiment` run, whose exposure is no product experiment's).
 */
export function productUnitSql(column = 'unit_id'): string {
  return `${column} NOT IN (SELECT unit_id FROM events GROUP BY unit_id HAVING bool_and(NOT (${productEventSql()})))`;
}
