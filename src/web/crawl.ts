/**
 * Which page to capture next. `--pages N` is a small budget, so it goes to the pages a visitor
 * converts on: links whose path or text says pricing, plans, signup, trial, demo, checkout come
 * first; pages that are not built yet ("coming soon"), legal pages, blogs and job boards come
 * last; and a page already captured under another query string (/signup?plan=pro after
 * /signup?plan=team) comes after every new page. Within a score, the order links were found in
 * (breadth-first, most prominent first) decides. Pure.
 */
import { pageKey } from './url.js';

const CONVERSION = /\b(?:pricing|prices?|plans?|sign[ -]?up|register|registration|(?:free )?trial|get[ -]started|start(?: now| free| for free)?|demo|buy|purchase|order|checkout|cart|basket|subscribe|join|book|contact[ -]sales|talk to sales|quote)\b/i;
const DEAD_END = /\b(?:coming[ -]soon|soon|launching|waitlist|careers?|jobs|hiring|press|blog|news|legal|privacy|terms|cookies?|imprint|impressum|status|changelog|sitemap|log[ -]?in|sign[ -]?in)\b/i;

/** Higher is captured first: 2 for a conversion link, -2 for a dead end, 0 otherwise. */
export function linkScore(href: string, text: string): number {
  let path = href;
  try {
    path = decodeURIComponent(new URL(href).pathname).replace(/[/_.-]+/g, ' ');
  } catch {
    /* the raw href */
  }
  const words = `${path} ${text}`;
  if (DEAD_END.test(text) || DEAD_END.test(path)) return -2;
  if (CONVERSION.test(words)) return 2;
  return 0;
}

/** A queue of pages to capture, best first (see the module comment). */
export class CrawlQueue {
  private readonly items: { href: string; score: number; order: number }[] = [];
  private readonly captured = new Set<string>();
  private n = 0;

  push(href: string, text: string): void {
    this.items.push({ href, score: linkScore(href, text), order: this.n++ });
  }

  /** A page was captured (its path now counts as seen for query-only variants). */
  markCaptured(url: string): void {
    this.captured.add(pageKey(url));
  }

  get size(): number {
    return this.items.length;
  }

  /** Takes up to `count` of the best pages. */
  take(count: number): string[] {
    const rank = (x: { href: string; score: number }): number => x.score - (this.captured.has(pageKey(x.href)) ? 10 : 0);
    this.items.sort((a, b) => rank(b) - rank(a) || a.order - b.order);
    const out: string[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.items.length && out.length < count; ) {
      const key = pageKey((this.items[i] as { href: string }).href);
      if (keys.has(key)) {
        i++; // a query variant of a page in this batch waits for the next one
        continue;
      }
      keys.add(key);
      out.push((this.items.splice(i, 1)[0] as { href: string }).href);
    }
    return out;
  }
}
