/**
 * Events the tool writes about its own runs (`profile`: cpu_sample, cpu_time), not product
 * activity. They share the events table (so analyze and whatchanged read them by name), and are
 * left out of every figure over "any event": daily active units (forecast / map --metric dau) and
 * the end of the data. A profile run today must not count as an active user, nor extend a product
 * series to today with zeros.
 */
import { CPU_EVENT, CPU_TIME_EVENT } from '../observe/profile/events.js';
import { quoteLiteral } from './store.js';

export const TOOL_EVENTS: readonly string[] = [CPU_EVENT, CPU_TIME_EVENT];

/** SQL: the event column names product activity (not one of the tool's own events). */
export function productEventSql(column = 'event'): string {
  return `${column} NOT IN (${TOOL_EVENTS.map((e) => quoteLiteral(e)).join(', ')})`;
}
