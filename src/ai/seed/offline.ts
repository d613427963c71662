/**
 * Offline project specs: a domain pack from templates/seed/<domain>.json (chosen by --domain or by
 * keywords in the prompt), themed with the prompt's words ({theme}, {words}, {Theme}, {Brand}, {prompt}
 * placeholders) and varied by seed (effect sizes). Same prompt and seed, same spec.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../core/errors.js';
import { Rng } from './random.js';
import { ProjectSpecSchema, type ProjectSpec } from './schema.js';
import { validateProjectSpec } from './validate.js';

export const DOMAINS = ['ecommerce', 'saas', 'gaming', 'media', 'fintech'] as const;
export type Domain = (typeof DOMAINS)[number];

export interface DomainPack {
  domain: Domain;
  /** Noun appended to the brand, e.g. "Shop". */
  noun: string;
  keywords: string[];
  defaultTheme: string;
  spec: unknown;
}

/** The templates/seed folder (same relative place from src/ai/seed and dist/ai/seed). */
export function seedTemplatesDir(): string {
  return fileURLToPath(new URL('../../../templates/seed/', import.meta.url));
}

export function loadPack(domain: Domain, dir = seedTemplatesDir()): DomainPack {
  const file = `${dir}${domain}.json`;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`internal: cannot read the ${domain} domain pack at ${file}: ${(error as Error).message}`);
  }
  const { domain: _d, noun, keywords, defaultTheme, ...spec } = raw;
  return {
    domain,
    noun: typeof noun === 'string' ? noun : 'Co',
    keywords: Array.isArray(keywords) ? keywords.map(String) : [],
    defaultTheme: typeof defaultTheme === 'string' ? defaultTheme : domain,
    spec,
  };
}

const STOPWORDS = new Set(
  `a an the and or but of for to in on at by with from as is are was were be been being it its this that these those
  which who whom whose what when where why how all also any some each every both either neither not no nor only own same so
  than too very can will just should would could may might must shall do does did done doing have has had having
  i me my we our ours you your yours he him his she her hers they them their theirs us
  create created creating make made making build built building generate generated design designed run running
  company companies startup startups business businesses firm corp inc org organization organisation
  project projects dummy fake demo sample example test testing experiment experiments experimentation statsig
  app apps application website site online thing things stuff like about into over under more most many much
  new old big small good great best based whose where while using use used want need needs people`.split(/\s+/),
);

export function promptWords(prompt: string): string[] {
  return (prompt.toLowerCase().match(/[a-z][a-z0-9]*/g) ?? []).filter((w) => w.length >= 3 && !STOPWORDS.has(w));
}

function singular(w: string): string {
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) return w.slice(0, -1);
  return w;
}

function keywordHit(word: string, keyword: string): boolean {
  const w = singular(word);
  const k = singular(keyword);
  return w === k || (k.length >= 4 && w.startsWith(k)) || (w.length >= 4 && k.startsWith(w));
}

/** The domain for a prompt: the pack whose keywords match most words (ties: first in DOMAINS). */
export function chooseDomain(prompt: string, packs: DomainPack[]): { domain: Domain; matched: string[] } {
  const words = promptWords(prompt);
  let best: { domain: Domain; matched: string[] } | null = null;
  for (const pack of packs) {
    const matched = [...new Set(words.filter((w) => pack.keywords.some((k) => keywordHit(w, k))))];
    if (!best || matched.length > best.matched.length) best = { domain: pack.domain, matched };
  }
  return best && best.matched.length > 0 ? best : { domain: 'ecommerce', matched: [] };
}

export interface Theme {
  /** snake_case, at most 20 characters: used in entity names. */
  theme: string;
  /** The theme as words for prose ("garden gnome"): descriptions never show the snake_case name. */
  words: string;
  Theme: string;
  Brand: string;
}

/** Words that say what kind of thing a product is, not what it is about: never a theme ("Service Media"). */
const GENERIC_THEME_WORDS = new Set(['service', 'platform', 'tool', 'solution', 'product', 'system', 'provider', 'portal', 'software', 'hub', 'brand', 'offering', 'venture']);

/**
 * Theme words from the prompt: its first two content words that are neither domain keywords nor
 * generic ("service", "platform"); failing those, when the prompt had a generic word, its first
 * domain word ("a streaming video service" → streaming); failing that, the pack's default theme.
 */
export function themeFromPrompt(prompt: string, pack: DomainPack): Theme {
  const all = promptWords(prompt);
  const words = all.filter((w) => !GENERIC_THEME_WORDS.has(singular(w)));
  const themed = words.filter((w) => !pack.keywords.some((k) => keywordHit(w, k)));
  const picked: string[] = [];
  for (const w of themed) {
    const s = singular(w);
    if (!picked.includes(s)) picked.push(s);
    if (picked.length === 2) break;
  }
  // Only where a generic word was all the theme there was ("a streaming video service"): a prompt
  // of domain words alone ("bank") keeps the pack's default theme ("Nova Bank", not "Bank Bank").
  if (picked.length === 0 && words.length < all.length && words[0] !== undefined) picked.push(singular(words[0]));
  let slug = picked.join('_').slice(0, 20).replace(/_+$/, '');
  if (!/^[a-z][a-z0-9_]{1,}$/.test(slug)) slug = pack.defaultTheme;
  const title = slug
    .split('_')
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join(' ');
  return { theme: slug, words: slug.split('_').filter(Boolean).join(' '), Theme: title, Brand: `${title} ${pack.noun}` };
}

function substitute(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\{(theme|words|Theme|Brand|prompt)\}/g, (_, k: string) => vars[k] ?? '');
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[substitute(k, vars) as string] = substitute(v, vars);
    return out;
  }
  return value;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export interface OfflineSpec {
  spec: ProjectSpec;
  domain: Domain;
  theme: Theme;
  /** Prompt words that chose the domain (empty when --domain chose it or nothing matched). */
  matched: string[];
}

/** A themed, seed-varied project spec from a domain pack. */
export function offlineProjectSpec(opts: { prompt: string; domain?: Domain; seed: number; dir?: string }): OfflineSpec {
  const dir = opts.dir ?? seedTemplatesDir();
  let domain: Domain;
  let matched: string[] = [];
  if (opts.domain) {
    domain = opts.domain;
  } else {
    const chosen = chooseDomain(
      opts.prompt,
      DOMAINS.map((d) => loadPack(d, dir)),
    );
    domain = chosen.domain;
    matched = chosen.matched;
  }
  const pack = loadPack(domain, dir);
  const theme = themeFromPrompt(opts.prompt, pack);
  const promptText = opts.prompt.trim().replace(/\s+/g, ' ').slice(0, 500) || `the ${domain} domain pack`;
  const raw = substitute(pack.spec, { ...theme, prompt: promptText }) as Record<string, unknown>;
  const parsed = ProjectSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`internal: the ${domain} domain pack does not match the schema: ${first?.path.join('.')}: ${first?.message}`);
  }
  const spec = parsed.data;
  // vary the intended effects by seed: each x U(0.6, 1.4)
  const rng = new Rng(opts.seed, 11);
  spec.true_effects = spec.true_effects.map((t) => ({
    ...t,
    relative: round3(t.relative * rng.range(0.6, 1.4)),
    segments: t.segments.map((s) => ({ ...s, relative: round3(s.relative * rng.range(0.6, 1.4)) })),
  }));
  const violations = validateProjectSpec(spec);
  if (violations.length > 0) {
    throw new UserError(`the ${domain} domain pack themed "${theme.theme}" is not valid: ${violations[0]}`, {
      hint: 'use another prompt or --domain; please report this as a bug',
      code: 'SEED_PACK_INVALID',
    });
  }
  return { spec, domain, theme, matched };
}
