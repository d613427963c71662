/**
 * Text helpers shared by the retrieval index and the answer checks: tokens, stop words, a light
 * stemmer, the synonym table ("sales" is revenue, "sign-ups" is signup) and control-character
 * stripping. Pure functions, no IO.
 */

const STOP = new Set(
  'a an and are as at be been by can could did do does for from had has have how i if in into is it its me my of on or our should shall show tell that the their them there these they this to was we were what when where which who why will with would you your about any all me us give find list some experiment experiments test tests'.split(' '),
);

/**
 * Synonyms, each mapped to the term the project uses. Applied to queries (not to the index), so
 * that "sales" finds revenue and "sign-ups" finds signup.
 */
export const SYNONYMS: Record<string, string[]> = {
  sales: ['revenue'],
  sale: ['revenue'],
  gmv: ['revenue'],
  income: ['revenue'],
  earnings: ['revenue'],
  money: ['revenue'],
  turnover: ['revenue'],
  signups: ['signup'],
  signup: ['signup'],
  registrations: ['signup'],
  registration: ['signup'],
  register: ['signup'],
  aov: ['avg', 'order', 'value'],
  basket: ['order', 'value'],
  baskets: ['order', 'value'],
  buyers: ['purchasers'],
  buyer: ['purchasers'],
  purchases: ['orders', 'purchase'],
  bought: ['purchase', 'orders'],
  buy: ['purchase'],
  conversions: ['conversion'],
  converted: ['conversion'],
  convert: ['conversion'],
  cart: ['cart'],
  carts: ['cart'],
  delivery: ['shipping'],
  postage: ['shipping'],
  flag: ['gate'],
  flags: ['gate'],
  toggle: ['gate'],
  rollout: ['gate', 'rollout'],
  retention: ['retention', 'sessions'],
  engagement: ['sessions', 'session'],
  visits: ['session'],
  ranking: ['ranking', 'ranker'],
  audience: ['segment'],
  cohort: ['segment'],
  config: ['dynamic', 'config'],
  configs: ['dynamic', 'config'],
};

/** Removes control characters (keeps newline and tab) so that nothing a file says can steer a terminal. */
export function stripControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** Splits on anything that is not a letter or digit (underscores and hyphens too). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

/** A light English stemmer: enough for plurals and -ing/-ed forms to meet. */
export function stem(term: string): string {
  let t = term.toLowerCase();
  if (t.length <= 3 || /^\d/.test(t)) return t;
  if (t.endsWith('ies') && t.length > 4) return `${t.slice(0, -3)}y`;
  if (t.endsWith('sses')) return t.slice(0, -2);
  if (t.endsWith('ing') && t.length > 5) t = t.slice(0, -3);
  else if (t.endsWith('ed') && t.length > 4) t = t.slice(0, -2);
  else if (t.endsWith('es') && /(ch|sh|x|ss)es$/.test(t)) t = t.slice(0, -2);
  else if (t.endsWith('s') && !t.endsWith('ss') && !t.endsWith('us')) t = t.slice(0, -1);
  return t;
}

export function isStopWord(term: string): boolean {
  return STOP.has(term.toLowerCase());
}

/** Index-side term processing: lower case, stop words out, stemmed. */
export function processTerm(term: string): string | null {
  const t = term.toLowerCase();
  if (t.length === 0 || STOP.has(t)) return null;
  return stem(t);
}

/** The content words of a query: tokens without stop words, with their synonyms added. */
export function queryTerms(text: string): { terms: string[]; content: string[] } {
  const joined = text.toLowerCase().replace(/\bsign[\s-]+ups?\b/g, 'signups').replace(/\bstat(?:istically)?[\s-]*sig(?:nificant)?\b/g, 'significant');
  const content = tokenize(joined).filter((t) => !STOP.has(t));
  const terms = new Set<string>();
  for (const t of content) {
    terms.add(t);
    for (const s of SYNONYMS[t] ?? []) terms.add(s);
  }
  return { terms: [...terms], content };
}

/** Collapses whitespace and folds typographic quotes, for comparing a quote with its source. */
export function normalizeForQuote(text: string): string {
  return text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/[*_`]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** Short stable hash (FNV-1a, 32 bit, hex) for change detection. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
