/**
 * The offline CRO audit: rules over the page model that turn common conversion problems into
 * experiment ideas in the same schema the model returns. Each idea cites the element(s) it is
 * about with the page model's selectors. Rules that need layout facts (fold, prominence,
 * contrast, paint timing) are skipped for pages captured without a browser.
 */
import type { DomNode, DomTree } from '../../web/dom.js';
import { isVisible } from '../../web/dom.js';
import type { Cta, FormModel, PageModel, ViewportName } from '../../web/page-model.js';
import { uniqueSelector } from '../../web/selector.js';
import { normalizeUrl, pageKey, pathOf } from '../../web/url.js';
import { dedupeIdeas } from './dedupe.js';
import type { ExperimentIdea, Metric, SiteSummary } from './schema.js';

export interface AuditPage {
  model: PageModel;
  tree: DomTree;
}

export interface AuditOptions {
  /** Largest contentful paint above this is slow (default 2500 ms, the Web Vitals "good" limit). */
  slowLcpMs?: number;
  /** Forms with more visible fields than this are long (default 6). */
  maxFormFields?: number;
  /** Text contrast below this is low for a call to action (default 3, WCAG large-text minimum). */
  minContrast?: number;
  /** Navigation links from this many on a signup/checkout page distract (default 6). */
  navLinksDistracting?: number;
}

export interface AuditIdea extends ExperimentIdea {
  rule: string;
}

export interface Rule {
  id: string;
  description: string;
  /** Needs layout facts from a browser. */
  layout: boolean;
  /** `site`: what the crawl found about the other pages (where links lead). */
  check(page: AuditPage, opts: Required<AuditOptions>, site: SiteFacts): AuditIdea[];
}

const DEFAULTS: Required<AuditOptions> = { slowLcpMs: 2500, maxFormFields: 6, minContrast: 3, navLinksDistracting: 6 };

const metric = (name: string, type: Metric['type'], direction: Metric['direction']): Metric => ({ name, type, direction });
const CTA_CLICK = metric('primary_cta_click', 'conversion', 'increase');
const BOUNCE = metric('bounce', 'conversion', 'decrease');

/** The hypothesis sentence in the shape the issue asks for. */
export function hypothesis(observed: string, change: string, effect: string, audience: string, metricName: string): string {
  return `Because we observed ${observed}, we believe ${change} will cause ${effect} for ${audience}; we will know when ${metricName} moves.`;
}


const q = (s: string): string => `“${s}”`;

/**
 * What the other captured pages say about where a link leads: the pages (by `pageKey`) that hold
 * a signup or checkout form or a pricing table. Built by `siteFacts` from the crawl.
 */
export interface SiteFacts {
  conversionPages: ReadonlySet<string>;
}

const NO_FACTS: SiteFacts = { conversionPages: new Set() };

/** The crawled pages a visitor converts on (a signup or checkout page, a pricing page). */
export function siteFacts(pages: AuditPage[]): SiteFacts {
  const conversionPages = new Set<string>();
  for (const { model } of pages) {
    const converts = model.pricing.length > 0 || model.forms.some((f) => (f.purpose === 'signup' || f.purpose === 'checkout') && isConversionPage(model, f));
    if (!converts) continue;
    for (const u of [model.url, model.final_url]) if (u) conversionPages.add(pageKey(u));
  }
  return { conversionPages };
}

function withoutHash(u: string): string {
  const i = u.indexOf('#');
  return i < 0 ? u : u.slice(0, i);
}

/**
 * Whether a CTA only jumps within its own page (`href="#more"`): the same document with a
 * fragment that names a place on it. `#` alone (a script hook) and `#/route`, `#!route` (a
 * single-page app's routes) are not jumps.
 */
export function isInPageLink(c: Cta, model: PageModel): boolean {
  if (c.href === null) return false;
  const hash = c.href.indexOf('#');
  if (hash < 0 || !/^#[^/!]/.test(c.href.slice(hash))) return false;
  const target = withoutHash(c.href);
  return [model.url, model.final_url].some((u) => u && withoutHash(u) === target);
}

const CONVERSION_TARGET = /(?:^|[/_.-])(?:sign-?up|register|registration|join|create-account|trial|get-started|start|checkout|cart|basket|subscribe|onboarding|pricing|plans|buy|order)(?:$|[/_.-])/i;

/**
 * Whether a CTA leads to a conversion: a link to a page the crawl found holding a signup or
 * checkout form or a pricing table, or to a page named like one (/signup, /checkout,
 * /pricing ...), or the submit button of a signup or checkout form on this page.
 */
export function leadsToConversion(c: Cta, model: PageModel, facts: SiteFacts = NO_FACTS): boolean {
  if (c.href !== null) {
    if (isInPageLink(c, model)) return false;
    if (facts.conversionPages.has(pageKey(c.href))) return true;
    try {
      return CONVERSION_TARGET.test(new URL(c.href).pathname);
    } catch {
      return false;
    }
  }
  return c.in_form && model.forms.some((f) => (f.purpose === 'signup' || f.purpose === 'checkout') && f.submit?.selector === c.selector);
}

/** How much more a CTA that leads to a conversion weighs than its styling alone (0..1 scale). */
const CONVERSION_WEIGHT = 0.5;

/**
 * The page's main call to action: the most prominent CTA outside the navigation that does not
 * just jump within the page, where leading to a conversion (`leadsToConversion`) weighs half a
 * prominence point: a plain button to the signup page outranks a louder "Learn more" elsewhere.
 */
export function primaryCta(model: PageModel, facts: SiteFacts = NO_FACTS): Cta | null {
  const own = model.ctas.filter((c) => !c.in_nav && !isInPageLink(c, model));
  if (own.length === 0) return null;
  const styled = (c: Cta): number => c.prominence_score ?? (c.prominence === 'primary' ? 0.9 : c.prominence === 'secondary' ? 0.5 : c.prominence === 'tertiary' ? 0.1 : 0.3);
  const rank = (c: Cta): number => styled(c) + (leadsToConversion(c, model, facts) ? CONVERSION_WEIGHT : 0);
  // Scores within 0.05 count as equal: then the first in reading order wins.
  const top = Math.max(...own.map(rank));
  const near = own.filter((c) => rank(c) >= top - 0.05);
  return [...near].sort((a, b) => (a.box?.y ?? 0) - (b.box?.y ?? 0) || (a.box?.x ?? 0) - (b.box?.x ?? 0))[0] ?? null;
}

const CONVERSION_FORMS = new Set(['signup', 'checkout', 'contact', 'newsletter']);

function conversionForm(model: PageModel): FormModel | null {
  return model.forms.find((f) => CONVERSION_FORMS.has(f.purpose)) ?? null;
}

const VAGUE = new Set([
  'submit', 'send', 'go', 'click', 'click here', 'here', 'learn more', 'read more', 'more', 'continue', 'next', 'ok', 'okay', 'enter',
  'details', 'more info', 'info', 'find out more', 'discover', 'discover more', 'explore', 'see more', 'view more', 'proceed', 'start', 'yes',
]);

export function isVague(text: string): boolean {
  return VAGUE.has(text.toLowerCase().replace(/[^\p{L}\p{N} ]+/gu, '').replace(/\s+/g, ' ').trim());
}

const CONVERSION_PATH = /(?:^|[/_.-])(?:sign-?up|register|registration|join|create-account|trial|get-started|start|checkout|cart|basket|subscribe|onboarding)(?:$|[/_.-])/i;
const CONVERSION_HEADLINE = /\b(?:sign ?up|create (?:your |an |my )?account|register|start (?:your |a )?(?:free )?trial|get started|check ?out|complete (?:your )?(?:order|purchase)|join)\b/i;

/**
 * Whether the page exists for `form` (a signup or checkout page), not a page that merely has
 * such a form on it (a home page with an email field in the hero): the site root never is; any
 * other page is when its path, its title or its h1 says so, or when the form's button is the
 * page's main call to action.
 */
export function isConversionPage(model: PageModel, form: FormModel): boolean {
  let pathname = '/';
  try {
    pathname = new URL(model.final_url || model.url).pathname;
  } catch {
    /* keep / */
  }
  if (pathname === '/' || /^\/index\.[a-z]+$/i.test(pathname)) return false;
  if (CONVERSION_PATH.test(pathname)) return true;
  const h1 = model.headings.find((h) => h.level === 1)?.text ?? '';
  if (CONVERSION_HEADLINE.test(h1) || CONVERSION_HEADLINE.test(model.title)) return true;
  const main = primaryCta(model);
  return main !== null && form.submit !== null && main.selector === form.submit.selector;
}

function foldHeight(model: PageModel, v: ViewportName): number | null {
  return model.viewports.find((x) => x.name === v)?.height ?? null;
}

// ---------------------------------------------------------------------------------------------
// Rules

export const RULES: Rule[] = [
  {
    id: 'cta-below-fold',
    description: 'the main call to action is not in the first screen',
    layout: true,
    check({ model }, _opts, site) {
      const cta = primaryCta(model, site);
      if (!cta || !model.stats.layout) return [];
      // A secondary "Learn more" in the first screen does not make up for the main action below it:
      // only a primary-styled CTA (one that converts too when the main one does), or one leading to
      // the same page (query aside, navigation included), does; a jump within the page never does.
      const target = cta.href ? pageKey(cta.href) : null;
      const converts = leadsToConversion(cta, model, site);
      const standsIn = (c: Cta): boolean =>
        c !== cta &&
        !isInPageLink(c, model) &&
        ((c.prominence === 'primary' && !c.in_nav && (!converts || leadsToConversion(c, model, site))) || (target !== null && c.href !== null && pageKey(c.href) === target));
      const below = model.viewports
        .map((v) => v.name)
        .filter((v) => cta.above_fold[v] === false && !model.ctas.some((c) => standsIn(c) && c.above_fold[v] === true));
      if (below.length === 0) return [];
      const where = below.map((v) => `${v} (${foldHeight(model, v) ?? '?'} px)`).join(' and ');
      const y = cta.box ? ` starts at y=${cta.box.y} px,` : '';
      const audience = below.length === 1 && below[0] === 'mobile' ? 'mobile visitors' : 'first-time visitors';
      return [
        {
          rule: 'cta-below-fold',
          // Vague copy is not promoted as it is (vague-cta-copy calls it vague): the copy moves reworded.
          title: isVague(cta.text) ? 'Move the main call to action into the first screen, with copy that names the outcome' : `Move ${q(cta.text)} into the first screen`,
          summary: `The page's main call to action ${q(cta.text)} is below the fold on ${below.join(' and ')}: visitors must scroll before they see what to do.`,
          page_url: model.url,
          evidence: [{ selector: cta.selector, observation: `${q(cta.text)}${y} below the fold on ${where}; no other primary call to action is in the first screen` }],
          hypothesis: hypothesis(
            `that ${q(cta.text)} is only reachable after scrolling on ${below.join(' and ')}`,
            `repeating it directly under the headline`,
            `more visitors to click it`,
            audience,
            CTA_CLICK.name,
          ),
          control: `${q(cta.text)} stays where it is, below the first screen.`,
          test: isVague(cta.text)
            ? `A copy of the button in the first screen, right under the headline, styled as the primary button and saying where it leads instead of ${q(cta.text)}.`
            : `A copy of ${q(cta.text)} in the first screen, right under the headline, styled as the primary button.`,
          primary_metric: CTA_CLICK,
          guardrail_metrics: [BOUNCE],
          id_type: 'stableID',
          ice: { impact: 8, confidence: 7, ease: 8 },
        },
      ];
    },
  },
  {
    id: 'competing-ctas',
    description: 'several equally prominent calls to action compete in the first screen',
    layout: true,
    check({ model }, _opts, site) {
      const v = model.viewports[0]?.name;
      if (!v || !model.stats.layout) return [];
      const top = model.ctas.filter((c) => !c.in_nav && c.prominence === 'primary' && c.above_fold[v] === true);
      const targets = new Map<string, Cta>();
      for (const c of top) {
        const key = c.href ? (normalizeUrl(c.href) ?? c.href) : `button:${c.text.toLowerCase()}`;
        if (!targets.has(key)) targets.set(key, c);
      }
      if (targets.size < 2) return [];
      const list = [...targets.values()];
      const names = list.map((c) => q(c.text)).join(', ');
      // Never crown vague copy ("Learn more") while the vague-cta-copy rule calls it vague.
      const clear = list.filter((c) => !isVague(c.text));
      const keep = primaryCta({ ...model, ctas: clear.length > 0 ? clear : list }, site) ?? (list[0] as Cta);
      return [
        {
          rule: 'competing-ctas',
          title: `Make ${q(keep.text)} the single primary action`,
          summary: `${list.length} calls to action with equal visual weight compete in the first screen (${names}); visitors have no clear next step.`,
          page_url: model.url,
          evidence: list.slice(0, 4).map((c) => ({ selector: c.selector, observation: `${q(c.text)} is a primary-styled button above the fold${c.href ? ` linking to ${pathOf(c.href)}` : ''}` })),
          hypothesis: hypothesis(
            `${list.length} equally prominent buttons (${names}) above the fold`,
            `keeping ${q(keep.text)} as the only primary button and restyling the others as secondary links`,
            `more visitors to take the main action`,
            'first-time visitors',
            CTA_CLICK.name,
          ),
          control: `All of ${names} styled as primary buttons.`,
          test: `${q(keep.text)} stays a primary button; the others become secondary (outline or text) links.`,
          primary_metric: CTA_CLICK,
          guardrail_metrics: [metric('secondary_cta_click', 'conversion', 'increase'), BOUNCE],
          id_type: 'stableID',
          ice: { impact: 7, confidence: 6, ease: 7 },
        },
      ];
    },
  },
  {
    id: 'vague-cta-copy',
    description: 'calls to action whose words do not say what happens next',
    layout: false,
    check({ model }) {
      const vague = model.ctas.filter((c) => !c.in_nav && isVague(c.text));
      if (vague.length === 0) return [];
      const first = vague[0] as Cta;
      const form = first.in_form ? model.forms.find((f) => f.submit?.selector === first.selector) : undefined;
      const suggestion = form ? suggestSubmit(form) : 'a verb and the outcome, e.g. “See pricing” or “Start my free trial”';
      return [
        {
          rule: 'vague-cta-copy',
          title: `Say what happens next on ${q(first.text)}`,
          summary: `${vague.length === 1 ? 'A call to action uses' : `${vague.length} calls to action use`} generic copy (${vague.map((c) => q(c.text)).join(', ')}) that does not tell visitors what they get.`,
          page_url: model.url,
          evidence: vague.slice(0, 3).map((c) => ({ selector: c.selector, observation: `the ${c.role === 'submit' ? 'submit button' : 'button'} says ${q(c.text)}` })),
          hypothesis: hypothesis(
            `generic button copy (${vague.map((c) => q(c.text)).slice(0, 3).join(', ')})`,
            `copy that names the outcome (${suggestion})`,
            `more clicks from visitors who know what they will get`,
            'visitors of this page',
            form ? `${form.purpose}_form_submit` : CTA_CLICK.name,
          ),
          control: `The button reads ${q(first.text)}.`,
          test: `The button reads ${suggestion}.`,
          primary_metric: form ? metric(`${form.purpose}_form_submit`, 'conversion', 'increase') : CTA_CLICK,
          guardrail_metrics: [BOUNCE],
          id_type: 'stableID',
          ice: { impact: 5, confidence: 6, ease: 9 },
        },
      ];
    },
  },
  {
    id: 'long-form',
    description: 'forms that ask for more than they need',
    layout: false,
    check({ model }, opts) {
      return model.forms
        .filter((f) => f.purpose !== 'search' && f.purpose !== 'login' && f.fields.length > opts.maxFormFields)
        .slice(0, 1)
        .map((f) => {
          const required = f.fields.filter((x) => x.required).length;
          const optionalish = f.fields.filter((x) => /phone|tel|address|city|zip|postal|birth|company|country|confirm/i.test(`${x.name ?? ''} ${x.label ?? ''}`));
          const cut = optionalish.length > 0 ? optionalish.map((x) => x.label ?? x.name ?? x.type).slice(0, 6).join(', ') : 'every field not needed to create the account';
          const submetric = `${f.purpose}_form_submit`;
          return {
            rule: 'long-form',
            title: `Shorten the ${f.purpose === 'other' ? '' : `${f.purpose} `}form to the essentials`,
            summary: `The form asks for ${f.fields.length} fields (${required} required) before anything happens; each extra field costs completions.`,
            page_url: model.url,
            evidence: [
              { selector: f.selector, observation: `${f.fields.length} visible fields, ${required} required` },
              ...optionalish.slice(0, 2).map((x) => ({ selector: x.selector, observation: `asks for ${x.label ?? x.name ?? x.type}${x.required ? ' (required)' : ''}` })),
            ],
            hypothesis: hypothesis(
              `a form with ${f.fields.length} fields, ${required} of them required`,
              `asking only for what is needed now (${cut} later or never)`,
              `more visitors to complete it`,
              'visitors who start the form',
              submetric,
            ),
            control: `The form with all ${f.fields.length} fields.`,
            test: `The form with the essential fields only; ${cut} moved to a later step or removed.`,
            primary_metric: metric(submetric, 'conversion', 'increase'),
            guardrail_metrics: [metric('lead_quality_score', 'mean', 'increase'), metric('form_error', 'count', 'decrease')],
            id_type: 'stableID' as const,
            ice: { impact: 8, confidence: 7, ease: 6 },
          };
        });
    },
  },
  {
    id: 'missing-social-proof',
    description: 'no testimonials, logos, ratings or trust badges near the conversion point',
    layout: false,
    check({ model }, _opts, site) {
      const form = conversionForm(model);
      const main = primaryCta(model, site);
      // A log-in or search button is not a conversion point.
      const cta = main && main.in_form && !model.forms.some((f) => CONVERSION_FORMS.has(f.purpose) && f.submit?.selector === main.selector) ? null : main;
      const target: { selector: string; text: string; y: number | null } | null = form
        ? { selector: form.selector, text: `the ${form.purpose} form`, y: form.box?.y ?? null }
        : cta && (cta.prominence === 'primary' || cta.role === 'submit' || !model.stats.layout)
          ? { selector: cta.selector, text: q(cta.text), y: cta.box?.y ?? null }
          : null;
      if (!target) return [];
      let observed: string;
      if (model.trust.length === 0) {
        observed = 'no testimonials, customer logos, ratings or trust badges anywhere on the page';
      } else {
        const vh = model.viewports[0]?.height;
        if (target.y === null || vh === undefined) return [];
        const ty = target.y;
        const nearest = Math.min(...model.trust.map((t) => (t.box ? Math.abs(t.box.y - ty) : Infinity)));
        if (nearest <= vh) return [];
        observed = `the nearest social proof is ${Number.isFinite(nearest) ? `${Math.round(nearest)} px` : 'far'} away from ${target.text}`;
      }
      return [
        {
          rule: 'missing-social-proof',
          title: `Add social proof next to ${target.text}`,
          summary: `Visitors decide at ${target.text} but see ${model.trust.length === 0 ? 'no evidence that others trust the product' : 'the proof only far from it'}.`,
          page_url: model.url,
          evidence: [{ selector: target.selector, observation: observed }],
          hypothesis: hypothesis(observed, `a short testimonial, customer logos or a rating right next to ${target.text}`, 'more visitors to convert', 'first-time visitors', form ? `${form.purpose}_form_submit` : CTA_CLICK.name),
          control: `${target.text} without social proof nearby.`,
          test: `${target.text} with a one-line testimonial and 3–5 customer logos (or a rating) directly beside or under it.`,
          primary_metric: form ? metric(`${form.purpose}_form_submit`, 'conversion', 'increase') : CTA_CLICK,
          guardrail_metrics: [BOUNCE],
          id_type: 'stableID',
          ice: { impact: 6, confidence: 6, ease: 8 },
        },
      ];
    },
  },
  {
    id: 'missing-price-anchoring',
    description: 'a pricing table with no recommended plan and no reference price',
    layout: false,
    check({ model }) {
      return model.pricing
        .filter((p) => p.plans.length >= 2 && !p.plans.some((x) => x.highlighted) && p.anchors.length === 0)
        .slice(0, 1)
        .map((p) => {
          // The middle plan of three or more, else the upper of two.
          const mid = p.plans[p.plans.length > 2 ? Math.floor((p.plans.length - 1) / 2) : 1] ?? p.plans[0];
          if (!mid) return null;
          const names = p.plans.map((x) => `${x.name ?? 'plan'}${x.price ? ` ${x.price}` : ''}`).join(', ');
          return {
            rule: 'missing-price-anchoring',
            title: `Anchor the prices and recommend ${mid.name ? q(mid.name) : 'one plan'}`,
            summary: `${p.plans.length} plans (${names}) look the same: no plan is marked as recommended and there is no reference price or saving to compare against.`,
            page_url: model.url,
            evidence: [
              { selector: p.selector, observation: `${p.plans.length} plans with equal styling, no "most popular" badge, no struck-through price or yearly saving` },
              { selector: mid.selector, observation: `${mid.name ?? 'this plan'}${mid.price ? ` at ${mid.price}` : ''} is a natural recommended plan` },
            ],
            hypothesis: hypothesis(
              'plans shown with equal weight and no price anchor',
              `highlighting ${mid.name ? q(mid.name) : 'the middle plan'} as "Most popular" and showing a yearly price with the saving`,
              'more visitors to pick a plan, and a higher-value one',
              'visitors comparing plans',
              'plan_selected',
            ),
            control: 'The pricing table as it is.',
            test: `${mid.name ? q(mid.name) : 'The middle plan'} highlighted (border, badge "Most popular"), and a monthly price struck through next to the yearly equivalent ("save 20%").`,
            primary_metric: metric('plan_selected', 'conversion', 'increase'),
            guardrail_metrics: [metric('revenue_per_visitor', 'mean', 'increase'), metric('refund_request', 'conversion', 'decrease')],
            id_type: 'stableID' as const,
            ice: { impact: 7, confidence: 6, ease: 7 },
          };
        })
        .filter((x) => x !== null);
    },
  },
  {
    id: 'slow-lcp',
    description: 'the largest contentful paint is slow',
    layout: true,
    check({ model, tree }, opts) {
      const lcp = model.timing?.lcp_ms;
      if (lcp === null || lcp === undefined || lcp <= opts.slowLcpMs) return [];
      const selector = model.timing?.lcp_element ?? largestText(tree)?.selector ?? 'body';
      return [
        {
          rule: 'slow-lcp',
          title: `Make the main content appear faster`,
          summary: `The largest element takes ${(lcp / 1000).toFixed(1)} s to paint (the Web Vitals limit for "good" is ${(opts.slowLcpMs / 1000).toFixed(1)} s); slow first paints lose visitors before they see the offer.`,
          page_url: model.url,
          evidence: [{ selector, observation: `largest contentful paint at ${lcp} ms` }],
          hypothesis: hypothesis(
            `a largest contentful paint of ${lcp} ms`,
            'preloading and compressing the hero element (responsive images, fetchpriority="high", no render-blocking work before it)',
            'fewer visitors to leave before the page is usable',
            'visitors on slow connections',
            BOUNCE.name,
          ),
          control: 'The page as it loads today.',
          test: 'The hero element preloaded with fetchpriority="high", served as a compressed responsive image, without render-blocking scripts before it.',
          primary_metric: BOUNCE,
          guardrail_metrics: [CTA_CLICK, metric('lcp_ms', 'mean', 'decrease')],
          id_type: 'stableID',
          ice: { impact: 7, confidence: 7, ease: 5 },
        },
      ];
    },
  },
  {
    id: 'images-missing-alt',
    description: 'content images without alt text',
    layout: false,
    check({ model }) {
      const miss = model.images.missing_alt;
      if (miss.length === 0) return [];
      return [
        {
          rule: 'images-missing-alt',
          title: `Describe the images with alt text`,
          summary: `${miss.length} image${miss.length === 1 ? ' has' : 's have'} no alt attribute: screen readers announce nothing useful and search engines cannot read them.`,
          page_url: model.url,
          evidence: miss.slice(0, 4).map((m) => ({ selector: m.selector, observation: `<img> without alt${m.src ? ` (${m.src.split('/').pop() ?? m.src})` : ''}` })),
          hypothesis: hypothesis(
            `${miss.length} content image${miss.length === 1 ? '' : 's'} without alt text`,
            'descriptive alt text on every content image',
            'more visitors who use assistive technology (and image search) to reach and act on the offer',
            'visitors using screen readers',
            CTA_CLICK.name,
          ),
          control: 'Images without alt text.',
          test: 'Every content image gets alt text that says what it shows; decorative ones get alt="".',
          primary_metric: CTA_CLICK,
          guardrail_metrics: [BOUNCE],
          id_type: 'stableID',
          ice: { impact: 3, confidence: 5, ease: 9 },
        },
      ];
    },
  },
  {
    id: 'placeholder-labels',
    description: 'form fields labelled only by their placeholder, or not at all',
    layout: false,
    check({ model }) {
      for (const f of model.forms) {
        if (f.purpose === 'search') continue;
        const weak = f.fields.filter((x) => x.label_source === 'placeholder' || x.label_source === null);
        if (weak.length === 0) continue;
        const submetric = `${f.purpose}_form_submit`;
        return [
          {
            rule: 'placeholder-labels',
            title: `Give the ${f.purpose === 'other' ? '' : `${f.purpose} `}form fields visible labels`,
            summary: `${weak.length} of ${f.fields.length} fields have no visible label (only a placeholder that disappears while typing), which causes errors and abandonment.`,
            page_url: model.url,
            evidence: weak.slice(0, 3).map((x) => ({ selector: x.selector, observation: x.label ? `labelled only by the placeholder ${q(x.label)}` : 'no label, no placeholder' })),
            hypothesis: hypothesis(
              `${weak.length} fields labelled only by placeholders`,
              'persistent labels above each field',
              'fewer input errors and more completed forms',
              'visitors filling in the form',
              submetric,
            ),
            control: 'Fields with placeholder text only.',
            test: 'Each field with a visible <label> above it; placeholders show an example value.',
            primary_metric: metric(submetric, 'conversion', 'increase'),
            guardrail_metrics: [metric('form_error', 'count', 'decrease')],
            id_type: 'stableID',
            ice: { impact: 5, confidence: 6, ease: 8 },
          },
        ];
      }
      return [];
    },
  },
  {
    id: 'nav-distraction',
    description: 'full site navigation on a signup or checkout page',
    layout: false,
    check({ model }, opts) {
      const form = model.forms.find((f) => f.purpose === 'signup' || f.purpose === 'checkout');
      if (!form || !isConversionPage(model, form)) return [];
      const nav = [...model.nav].sort((a, b) => b.links.length - a.links.length)[0];
      if (!nav) return [];
      const hrefs = new Set(nav.links.map((l) => l.href));
      if (hrefs.size < opts.navLinksDistracting) return [];
      const submetric = `${form.purpose}_form_submit`;
      return [
        {
          rule: 'nav-distraction',
          title: `Remove the navigation from the ${form.purpose} page`,
          summary: `The ${form.purpose} page shows the full site navigation (${hrefs.size} links): every link is a way out before the form is done.`,
          page_url: model.url,
          evidence: [
            { selector: nav.selector, observation: `${hrefs.size} navigation links (${nav.links.slice(0, 5).map((l) => q(l.text)).join(', ')}…)` },
            { selector: form.selector, observation: `the ${form.purpose} form this page exists for` },
          ],
          hypothesis: hypothesis(
            `${hrefs.size} navigation links around the ${form.purpose} form`,
            'a focused page with the logo only and no navigation',
            'more visitors to finish the form',
            `visitors who reach the ${form.purpose} page`,
            submetric,
          ),
          control: 'The page with the full navigation.',
          test: 'The page with a minimal header (logo only, linking home) and no navigation menu.',
          primary_metric: metric(submetric, 'conversion', 'increase'),
          guardrail_metrics: [BOUNCE],
          id_type: 'stableID',
          ice: { impact: 6, confidence: 6, ease: 8 },
        },
      ];
    },
  },
  {
    id: 'missing-h1',
    description: 'no h1 headline stating the value proposition',
    layout: false,
    check({ model, tree }) {
      if (model.headings.some((h) => h.level === 1)) return [];
      const big = largestText(tree);
      const first = model.headings[0];
      const selector = big?.selector ?? first?.selector ?? 'body';
      const text = big?.text ?? first?.text ?? null;
      return [
        {
          rule: 'missing-h1',
          title: `Lead with a clear value-proposition headline`,
          summary: `The page has no h1${text ? `; its most prominent text is ${q(text)}` : ''}. Visitors (and search engines) get no clear statement of what is offered and for whom.`,
          page_url: model.url,
          evidence: [{ selector, observation: text ? `the top text ${q(text)} is not a headline that states the benefit (no h1 on the page)` : 'no h1 on the page' }],
          hypothesis: hypothesis(
            'no h1 headline on the page',
            'a specific headline that says what the product does and for whom',
            'more visitors to understand the offer and continue',
            'first-time visitors',
            BOUNCE.name,
          ),
          control: text ? `The current top text ${q(text)}.` : 'The page without a headline.',
          test: 'An h1 that states the benefit in one line (what, for whom, why now), with a one-line subheading.',
          primary_metric: BOUNCE,
          guardrail_metrics: [CTA_CLICK],
          id_type: 'stableID',
          ice: { impact: 5, confidence: 5, ease: 9 },
        },
      ];
    },
  },
  {
    id: 'low-contrast-cta',
    description: 'a call to action whose text barely stands out from its background',
    layout: true,
    check({ model }, opts) {
      const low = model.ctas.filter((c) => !c.in_nav && c.contrast !== null && c.contrast < opts.minContrast);
      if (low.length === 0) return [];
      const first = low[0] as Cta;
      return [
        {
          rule: 'low-contrast-cta',
          title: `Raise the contrast of ${q(first.text)}`,
          summary: `${low.map((c) => q(c.text)).join(', ')} ${low.length === 1 ? 'has' : 'have'} a text contrast of ${low.map((c) => `${c.contrast}:1`).join(', ')}, below ${opts.minContrast}:1: hard to read and easy to overlook.`,
          page_url: model.url,
          evidence: low.slice(0, 3).map((c) => ({ selector: c.selector, observation: `text contrast ${c.contrast}:1 against its background` })),
          hypothesis: hypothesis(
            `a call to action with a ${first.contrast}:1 text contrast`,
            'a high-contrast button style (at least 4.5:1)',
            'more visitors to notice and click it',
            'all visitors, especially on mobile screens outdoors',
            CTA_CLICK.name,
          ),
          control: `${q(first.text)} in its current low-contrast style.`,
          test: `${q(first.text)} in the primary button style with text contrast of at least 4.5:1.`,
          primary_metric: CTA_CLICK,
          guardrail_metrics: [BOUNCE],
          id_type: 'stableID',
          ice: { impact: 6, confidence: 7, ease: 9 },
        },
      ];
    },
  },
];

function suggestSubmit(form: FormModel): string {
  switch (form.purpose) {
    case 'signup':
      return '“Create my account”';
    case 'checkout':
      return '“Pay and place my order”';
    case 'newsletter':
      return '“Send me the newsletter”';
    case 'contact':
      return '“Send my message”';
    default:
      return 'a verb and the outcome';
  }
}

/** The visible text element with the largest font in the first screen (layout), or null. */
function largestText(tree: DomTree): { selector: string; text: string } | null {
  if (!tree.viewport) return null;
  const vh = tree.viewport.height;
  let best: DomNode | null = null;
  for (const n of tree.nodes) {
    const l = n.layout;
    if (!l || !isVisible(n) || l.y > vh) continue;
    if (!n.content.some((c) => typeof c === 'string')) continue;
    if (!best || l.fontSize > (best.layout?.fontSize ?? 0)) best = n;
  }
  if (!best) return null;
  const text = best.text();
  return { selector: uniqueSelector(tree, best), text: text.length > 80 ? `${text.slice(0, 79)}…` : text };
}

/**
 * Runs every rule on every page. Ideas come in rule order, then page order; the same idea on
 * several pages (or on URLs that differ only by query) is kept once, on the first page.
 */
export function auditPages(pages: AuditPage[], options: AuditOptions = {}): AuditIdea[] {
  const opts = { ...DEFAULTS, ...options };
  const out: AuditIdea[] = [];
  const site = siteFacts(pages);
  for (const rule of RULES) {
    for (const page of pages) {
      if (rule.layout && !page.model.stats.layout) continue;
      out.push(...rule.check(page, opts, site));
    }
  }
  return dedupeIdeas(out);
}

/** A site summary from the page models (what the model writes in model mode). */
export function offlineSiteSummary(pages: AuditPage[]): SiteSummary {
  const start = pages[0]?.model;
  if (!start) return { summary: 'no page captured', purpose: 'unknown', audience: 'unknown', primary_conversion: 'unknown' };
  const host = (() => {
    try {
      return new URL(start.final_url).host;
    } catch {
      return start.final_url;
    }
  })();
  const models = pages.map((p) => p.model);
  const forms = models.flatMap((m) => m.forms);
  const has = (purpose: string): boolean => forms.some((f) => f.purpose === purpose);
  const pricing = models.some((m) => m.pricing.length > 0);
  const purpose = has('checkout')
    ? 'sell products online'
    : pricing || has('signup')
      ? 'sign visitors up for a product or subscription'
      : has('contact')
        ? 'generate leads through a contact or demo form'
        : has('newsletter')
          ? 'grow a mailing list'
          : 'inform visitors';
  const cta = primaryCta(start, siteFacts(pages));
  const form = conversionForm(start) ?? forms.find((f) => CONVERSION_FORMS.has(f.purpose));
  const conversion = cta
    ? `${q(cta.text)}${cta.href ? ` (to ${pathOf(cta.href)})` : ''} on ${pathOf(start.url)}`
    : form
      ? `the ${form.purpose} form`
      : 'none found';
  const summary = [start.title || host, start.meta_description].filter(Boolean).join(': ');
  return {
    summary: summary.length > 600 ? `${summary.slice(0, 599)}…` : summary,
    purpose: `The site appears to ${purpose} (inferred offline from ${pages.length} page${pages.length === 1 ? '' : 's'}).`,
    audience: `Visitors of ${host} (not inferred offline; run with a model for an audience read)`,
    primary_conversion: conversion,
  };
}
