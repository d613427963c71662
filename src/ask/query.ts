/**
 * Structured filters parsed from a plain-language question: the metrics it names (by name,
 * synonym or a typo of one), direction words, significance and decision words, superlatives and
 * dates. Pure: the question, the project's metric names and "now" in, filters out.
 */
import { editDistance } from '../core/errors.js';
import { SYNONYMS, stem, tokenize } from './text.js';

export type Direction = 'increase' | 'decrease';

export interface QuestionFilters {
  /** Metrics the question names, best match first. */
  metrics: string[];
  /** Whether each metric was named in full (false: a partial or fuzzy match). */
  exact: boolean;
  direction: Direction | null;
  /** true: only significant results; false: only results that are not. */
  significant: boolean | null;
  decision: 'win' | 'loss' | null;
  /** "most", "biggest", "top": rank by the size of the effect. */
  superlative: boolean;
  since: string | null;
  until: string | null;
}

const UP = new Set(['increase', 'increased', 'increases', 'increasing', 'raise', 'raised', 'raises', 'grow', 'grew', 'grown', 'grows', 'growth', 'lift', 'lifted', 'lifts', 'improve', 'improved', 'improves', 'boost', 'boosted', 'boosts', 'higher', 'gain', 'gained', 'up', 'rise', 'rose', 'risen']);
const DOWN = new Set(['decrease', 'decreased', 'decreases', 'decreasing', 'drop', 'dropped', 'drops', 'reduce', 'reduced', 'reduces', 'lower', 'lowered', 'down', 'fewer', 'decline', 'declined', 'fell', 'fall', 'shrank', 'shrink', 'cut']);
const SUPER = new Set(['most', 'biggest', 'largest', 'best', 'top', 'highest', 'strongest', 'greatest', 'worst', 'lowest', 'max', 'maximum']);
const WIN = new Set(['win', 'wins', 'won', 'winner', 'winners', 'winning', 'successful', 'success', 'shipped']);
const LOSS = new Set(['loss', 'losses', 'lost', 'loser', 'losers', 'losing', 'hurt', 'hurts', 'harmed', 'harm', 'backfired', 'regression', 'regressed']);
const GENERIC = new Set(['event', 'avg', 'per', 'total', 'count', 'rate', 'num', 'number', 'of', 'value']);
const EXTRA_SYNONYMS: Record<string, string[]> = { average: ['avg'], mean: ['avg'] };

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

const iso = (d: Date): string => d.toISOString().slice(0, 10);

function monthRange(year: number, month: number): [string, string] {
  return [iso(new Date(Date.UTC(year, month, 1))), iso(new Date(Date.UTC(year, month + 1, 0)))];
}

export function parseDates(question: string, now: Date): { since: string | null; until: string | null } {
  const q = question.toLowerCase();
  let since: string | null = null;
  let until: string | null = null;
  const dateRe = /(since|after|from|before|until|till|by|on)?\s*(\d{4}-\d{2}(?:-\d{2})?)/g;
  for (const m of q.matchAll(dateRe)) {
    const word = m[1];
    const raw = m[2] as string;
    const [y, mo, d] = raw.split('-').map(Number) as [number, number, number | undefined];
    const start = d ? raw : iso(new Date(Date.UTC(y, mo - 1, 1)));
    const end = d ? raw : iso(new Date(Date.UTC(y, mo, 0)));
    if (word === 'before' || word === 'until' || word === 'till' || word === 'by') until = end;
    else if (word === 'on' || (!word && d === undefined)) {
      since = start;
      until = end;
    } else since = start;
  }
  const rel = /\b(?:last|past)\s+(\d+)\s+(day|week|month)s?\b/.exec(q);
  if (rel) {
    const n = Number(rel[1]);
    const days = rel[2] === 'day' ? n : rel[2] === 'week' ? n * 7 : n * 30;
    since = iso(new Date(now.getTime() - days * 86_400_000));
  } else if (/\bthis month\b/.test(q)) {
    since = monthRange(now.getUTCFullYear(), now.getUTCMonth())[0];
  } else if (/\blast month\b/.test(q)) {
    [since, until] = monthRange(now.getUTCFullYear(), now.getUTCMonth() - 1);
  } else if (/\bthis year\b/.test(q)) {
    since = `${now.getUTCFullYear()}-01-01`;
  }
  const month = new RegExp(`\\b(in|since|after|before|until)\\s+(${MONTHS.join('|')})(?:\\s+(\\d{4}))?\\b`).exec(q);
  if (month) {
    const m = MONTHS.indexOf(month[2] as string);
    const y = month[3] ? Number(month[3]) : m > now.getUTCMonth() ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
    const [start, end] = monthRange(y, m);
    if (month[1] === 'in') [since, until] = [start, end];
    else if (month[1] === 'before' || month[1] === 'until') until = iso(new Date(Date.parse(`${start}T00:00:00Z`) - 86_400_000));
    else since = month[1] === 'after' ? iso(new Date(Date.parse(`${end}T00:00:00Z`) + 86_400_000)) : start;
  }
  return { since, until };
}

/** The question's words, stemmed, with synonyms added (sales -> revenue). */
function questionForms(question: string): { forms: Set<string>; raw: string[] } {
  const joined = question.toLowerCase().replace(/\bsign[\s-]+ups?\b/g, 'signups');
  const raw = tokenize(joined);
  const forms = new Set<string>();
  for (const t of raw) {
    forms.add(stem(t));
    for (const s of [...(SYNONYMS[t] ?? []), ...(EXTRA_SYNONYMS[t] ?? [])]) forms.add(stem(s));
  }
  return { forms, raw };
}

export function matchMetrics(question: string, metrics: readonly string[]): { metrics: string[]; exact: boolean } {
  const { forms, raw } = questionForms(question);
  const full: string[] = [];
  const partial: { name: string; score: number }[] = [];
  for (const name of metrics) {
    const parts = tokenize(name).map(stem);
    if (parts.length === 0) continue;
    if (parts.every((p) => forms.has(p))) {
      full.push(name);
      continue;
    }
    const distinctive = parts.filter((p) => !GENERIC.has(p));
    const hit = distinctive.filter((p) => forms.has(p) || raw.some((r) => r.length >= 5 && p.length >= 5 && editDistance(stem(r), p) <= 1));
    if (hit.length > 0) partial.push({ name, score: hit.length / parts.length });
  }
  if (full.length > 0) {
    // A name whose words are all inside a longer matched name ("orders" in "avg_order_value") is not meant.
    const words = (n: string): string[] => tokenize(n).map(stem);
    const kept = full.filter((n) => !full.some((o) => o !== n && words(o).length > words(n).length && words(n).every((w) => words(o).includes(w))));
    return { metrics: kept.sort((a, b) => words(b).length - words(a).length), exact: true };
  }
  partial.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  const best = partial[0]?.score ?? 0;
  return { metrics: partial.filter((p) => p.score === best).map((p) => p.name), exact: false };
}

export function parseQuestion(question: string, metrics: readonly string[], now: Date): QuestionFilters {
  const words = tokenize(question);
  const has = (set: Set<string>): boolean => words.some((w) => set.has(w));
  const q = question.toLowerCase();
  const notSig = /\b(not|non|in)[\s-]?significant\b|\binconclusive\b|\bflat\b|\bno (?:effect|change|impact)\b|\bneutral\b|\bdid ?n[o']t (?:move|change)\b/.test(q);
  const sig = !notSig && /\b(?:statistically |stat[\s-]?)?significant(?:ly)?\b|\bstat[\s-]?sig\b|\bconclusive\b/.test(q);
  const decision = has(LOSS) ? 'loss' : has(WIN) ? 'win' : null;
  const up = has(UP);
  const down = has(DOWN);
  const { metrics: named, exact } = matchMetrics(question, metrics);
  return {
    metrics: named,
    exact,
    direction: up && !down ? 'increase' : down && !up ? 'decrease' : null,
    significant: notSig ? false : sig || decision !== null ? true : null,
    decision,
    superlative: has(SUPER),
    ...parseDates(question, now),
  };
}

/** Whether the question asks about outcomes (so the metric filter is a hard filter). */
export function asksAboutOutcomes(f: QuestionFilters, question: string): boolean {
  if (f.metrics.length === 0) return false;
  if (f.direction !== null || f.superlative || f.significant !== null || f.decision !== null) return true;
  return f.exact && /\b(mov(e|ed|es|ing)|impact(s|ed)?|effects?|affect(s|ed)?|results?)\b/i.test(question);
}
