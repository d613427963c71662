/**
 * One idea once: the same idea found on several pages (a site-wide header, the same signup page
 * reached as /signup?plan=pro and /signup?plan=team) is kept on the first page it was found on,
 * and its summary says where else it applies. Two ideas are the same when they come from the
 * same rule (or, for model ideas, have the same title) and propose the same change (the same
 * title, case and spacing ignored). Pure.
 */
import { pageKey, pathOf } from '../../web/url.js';
import type { ExperimentIdea } from './schema.js';

const norm = (s: string): string => s.toLowerCase().replace(/[“”"'‘’]/g, '').replace(/\s+/g, ' ').trim();

/** Merges duplicates; the first of each group (input order) is kept with a note naming the other pages. */
export function dedupeIdeas<T extends ExperimentIdea & { rule?: string | null }>(ideas: T[]): T[] {
  const groups = new Map<string, { keep: T; others: string[] }>();
  const order: string[] = [];
  for (const idea of ideas) {
    const key = `${idea.rule ?? ''}\u0000${norm(idea.title)}`;
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { keep: idea, others: [] });
      order.push(key);
      continue;
    }
    const page = pageKey(idea.page_url);
    if (page !== pageKey(g.keep.page_url) && !g.others.includes(page)) g.others.push(page);
  }
  return order.map((k) => {
    const { keep, others } = groups.get(k) as { keep: T; others: string[] };
    if (others.length === 0) return keep;
    const list = others.slice(0, 5).map(pathOf).join(', ') + (others.length > 5 ? ` and ${others.length - 5} more` : '');
    return { ...keep, summary: `${keep.summary} The same applies to ${list}.` };
  });
}
