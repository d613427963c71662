/**
 * Grounding: every idea must point at elements that really are on the captured page. An
 * evidence selector is real when it parses as CSS and matches at least one element of that
 * page's captured DOM (in any viewport). Used twice: as `validate()` of the model call (the
 * problems go back to the model in one repair turn), and after it, to drop what is still not
 * real.
 */
import type { DomTree } from '../../web/dom.js';
import { tryQueryAll } from '../../web/selector.js';
import { normalizeUrl } from '../../web/url.js';
import type { ExperimentIdea } from './schema.js';

export interface GroundPage {
  url: string;
  finalUrl: string;
  /** The page's DOM per captured viewport. */
  trees: DomTree[];
}

export type SelectorCheck = { ok: true; matches: number } | { ok: false; reason: string };

export function checkSelector(page: GroundPage, selector: string): SelectorCheck {
  let error: string | null = null;
  for (const tree of page.trees) {
    const r = tryQueryAll(tree, selector);
    if (r.error) {
      error = r.error;
      break;
    }
    if (r.nodes.length > 0) return { ok: true, matches: r.nodes.length };
  }
  return { ok: false, reason: error ? `is not a CSS selector that can be checked (${error})` : 'matches no element on the page' };
}

/** The captured page an idea refers to (by URL or final URL, normalized), or null. */
export function findPage(pages: GroundPage[], url: string): GroundPage | null {
  const want = normalizeUrl(url.trim());
  if (!want) return null;
  const strip = (u: string): string => u.replace(/\/$/, '');
  return pages.find((p) => p.url === want || p.finalUrl === want || strip(p.url) === strip(want) || strip(p.finalUrl) === strip(want)) ?? null;
}

/** The page whose DOM matches the most of an idea's selectors (for a wrong or missing page_url). */
function bestPage(pages: GroundPage[], idea: Pick<ExperimentIdea, 'evidence'>): GroundPage | null {
  let best: GroundPage | null = null;
  let bestHits = 0;
  for (const p of pages) {
    const hits = idea.evidence.filter((e) => checkSelector(p, e.selector).ok).length;
    if (hits > bestHits) {
      best = p;
      bestHits = hits;
    }
  }
  return best;
}

const label = (i: number, idea: Pick<ExperimentIdea, 'title'>): string => `experiments[${i}] ("${idea.title.slice(0, 60)}")`;

/** Problems worded for a repair turn; empty when every idea is grounded. */
export function groundingProblems(ideas: Pick<ExperimentIdea, 'title' | 'page_url' | 'evidence'>[], pages: GroundPage[]): string[] {
  const problems: string[] = [];
  const urls = pages.map((p) => p.url).join(', ');
  ideas.forEach((idea, i) => {
    const page = findPage(pages, idea.page_url);
    if (!page) {
      problems.push(`${label(i, idea)}: page_url "${idea.page_url}" is not one of the captured pages (${urls})`);
      return;
    }
    for (const e of idea.evidence) {
      const c = checkSelector(page, e.selector);
      if (!c.ok) problems.push(`${label(i, idea)}: evidence selector "${e.selector}" ${c.reason} ${page.url}; cite a selector from that page's model, or drop the idea`);
    }
  });
  return problems;
}

export interface Grounded<T> {
  kept: T[];
  /** Ideas that cited nothing real. */
  dropped: { title: string; reason: string }[];
  /** Evidence items removed from kept ideas. */
  evidenceDropped: number;
}

/**
 * Keeps the real evidence of each idea and drops ideas left with none. An unknown page_url is
 * replaced by the captured page that matches most of its selectors.
 */
export function groundIdeas<T extends Pick<ExperimentIdea, 'title' | 'page_url' | 'evidence'>>(ideas: T[], pages: GroundPage[]): Grounded<T> {
  const kept: T[] = [];
  const dropped: Grounded<T>['dropped'] = [];
  let evidenceDropped = 0;
  for (const idea of ideas) {
    const page = findPage(pages, idea.page_url) ?? bestPage(pages, idea);
    if (!page) {
      dropped.push({ title: idea.title, reason: `page ${idea.page_url} was not captured and none of its selectors match a captured page` });
      continue;
    }
    const real = idea.evidence.filter((e) => checkSelector(page, e.selector).ok);
    if (real.length === 0) {
      dropped.push({ title: idea.title, reason: `none of its selectors (${idea.evidence.map((e) => e.selector).join(', ')}) match an element on ${page.url}` });
      continue;
    }
    evidenceDropped += idea.evidence.length - real.length;
    kept.push({ ...idea, page_url: page.url, evidence: real });
  }
  return { kept, dropped, evidenceDropped };
}
