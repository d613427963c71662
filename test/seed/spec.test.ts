import { describe, expect, it } from 'vitest';
import { ProjectSpecSchema, type ProjectSpec } from '../../src/ai/seed/schema.js';
import { validateProjectSpec, controlGroupOf } from '../../src/ai/seed/validate.js';
import { DOMAINS, chooseDomain, loadPack, offlineProjectSpec, themeFromPrompt } from '../../src/ai/seed/offline.js';

const VILLAINS = 'Create a tech company made by evil villains whose clients are also villains';

function base(): ProjectSpec {
  return structuredClone(offlineProjectSpec({ prompt: 'acme', domain: 'ecommerce', seed: 1 }).spec);
}

describe('offline domain packs', () => {
  it.each(DOMAINS)('%s: schema-valid and referentially valid for several prompts and seeds', (domain) => {
    for (const [prompt, seed] of [['', 1], [VILLAINS, 2], ['supercalifragilisticexpialidocious widgets', 3]] as const) {
      const { spec, theme } = offlineProjectSpec({ prompt, domain, seed });
      expect(ProjectSpecSchema.safeParse(spec).success).toBe(true);
      expect(validateProjectSpec(spec)).toEqual([]);
      expect(theme.theme).toMatch(/^[a-z][a-z0-9_]{1,19}$/);
      // rich: the same shape as the LLM path asks for
      expect(spec.events.length).toBeGreaterThanOrEqual(6);
      expect(spec.gates.length).toBeGreaterThanOrEqual(3);
      expect(spec.dynamic_configs.length).toBeGreaterThanOrEqual(2);
      expect(spec.segments.length).toBeGreaterThanOrEqual(2);
      expect(spec.layers.length).toBeGreaterThanOrEqual(1);
      expect(spec.metrics.length).toBeGreaterThanOrEqual(6);
      expect(spec.experiments.length).toBeGreaterThanOrEqual(4);
      expect(spec.experiments.some((x) => x.groups.length >= 3)).toBe(true);
      expect(spec.experiments.some((x) => x.layerID)).toBe(true);
      expect(spec.experiments.some((x) => x.targetingGateID)).toBe(true);
      expect(spec.true_effects.some((t) => t.segments.length > 0)).toBe(true);
    }
  });

  it('chooses the domain from prompt keywords and themes names with the other words', () => {
    const packs = DOMAINS.map((d) => loadPack(d));
    expect(chooseDomain(VILLAINS, packs)).toEqual({ domain: 'saas', matched: ['tech', 'clients'] });
    expect(chooseDomain('a mobile puzzle game', packs).domain).toBe('gaming');
    expect(chooseDomain('neobank for freelancers', packs).domain).toBe('fintech');
    expect(chooseDomain('a podcast network', packs).domain).toBe('media');
    expect(chooseDomain('an online store for plants', packs).domain).toBe('ecommerce');
    expect(chooseDomain('zzz', packs)).toEqual({ domain: 'ecommerce', matched: [] });
    expect(themeFromPrompt(VILLAINS, loadPack('saas'))).toEqual({ theme: 'evil_villain', words: 'evil villain', Theme: 'Evil Villain', Brand: 'Evil Villain Cloud' });
    // Generic words are never the theme: the prompt's own domain word is ("Service Media" before).
    expect(themeFromPrompt('a streaming video service', loadPack('media'))).toMatchObject({ theme: 'streaming', Brand: 'Streaming Media' });
    expect(themeFromPrompt('a platform for knitting patterns', loadPack('saas')).theme).toBe('knitting_pattern');
    expect(themeFromPrompt('a service platform', loadPack('media')).theme).toBe('orbit');
    expect(themeFromPrompt('bank', loadPack('fintech')).Brand).toBe('Nova Bank'); // domain words alone keep the default theme
    expect(offlineProjectSpec({ prompt: 'a streaming video service', seed: 42 }).spec.experiments.some((x) => x.name.startsWith('service_'))).toBe(false);
    const { spec, domain } = offlineProjectSpec({ prompt: VILLAINS, seed: 42 });
    expect(domain).toBe('saas');
    expect(spec.project.name).toBe('Evil Villain Cloud');
    expect(spec.project.description).toContain('evil villains');
    expect(spec.experiments.every((x) => x.name.startsWith('evil_villain_'))).toBe(true);
    // Prose speaks words, names stay snake_case (status shows the description).
    const shop = offlineProjectSpec({ prompt: 'an online shop for garden gnomes', seed: 42 }).spec;
    expect(shop.project.description).toContain('selling garden gnome goods');
    expect(shop.experiments[0]?.name).toMatch(/^garden_gnome_/);
  });

  it('is deterministic by seed and varies effects across seeds', () => {
    const a = offlineProjectSpec({ prompt: VILLAINS, seed: 7 }).spec;
    const b = offlineProjectSpec({ prompt: VILLAINS, seed: 7 }).spec;
    const c = offlineProjectSpec({ prompt: VILLAINS, seed: 8 }).spec;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.true_effects.map((t) => t.relative)).not.toEqual(c.true_effects.map((t) => t.relative));
    expect(a.experiments).toEqual(c.experiments);
  });
});

describe('validateProjectSpec', () => {
  it('reports group sizes that do not sum to 100', () => {
    const s = base();
    s.experiments[0]!.groups[0]!.size = 40;
    expect(validateProjectSpec(s).join('\n')).toMatch(/group sizes sum to 90, they must sum to 100/);
  });

  it('reports metrics, gates and layers that do not exist', () => {
    const s = base();
    const x = s.experiments[0]!;
    x.primaryMetrics = [{ name: 'ghost_metric', type: 'sum' }, { name: 'no_such_event', type: 'event_count' }];
    x.layerID = 'missing_layer';
    s.experiments[3]!.targetingGateID = 'missing_gate';
    const v = validateProjectSpec(s).join('\n');
    expect(v).toMatch(/metric "ghost_metric" is not defined/);
    expect(v).toMatch(/event_count metric "no_such_event" refers to an event that is not in the event catalog/);
    expect(v).toMatch(/layerID "missing_layer" is not a defined layer/);
    expect(v).toMatch(/targetingGateID "missing_gate" is not a defined gate/);
  });

  it('reports layer parameter mismatches and over-allocated layers', () => {
    const s = base();
    const x = s.experiments[0]!;
    x.groups[0]!.parameterValues = { one_page_checkout: 'no', unknown_param: 1 };
    x.groups[1]!.parameterValues = { one_page_checkout: 'yes', unknown_param: 2 };
    s.experiments[1]!.allocation = 60;
    const v = validateProjectSpec(s).join('\n');
    expect(v).toMatch(/parameter "one_page_checkout" must be a boolean as in layer checkout_layer/);
    expect(v).toMatch(/parameter "unknown_param" is not a parameter of layer checkout_layer/);
    expect(v).toMatch(/allocations of its experiments add up to 110%/);
  });

  it('reports invalid and duplicate names, and metric shape problems', () => {
    const s = base();
    s.gates[0]!.name = 'Bad Name';
    s.dynamic_configs[0]!.name = s.segments[0]!.name;
    s.metrics[0]!.metricEvents = [{ name: 'session_start', type: 'value' }];
    s.metrics[3]!.metricEvents = [{ name: 'purchase', type: 'count' }];
    const v = validateProjectSpec(s).join('\n');
    expect(v).toMatch(/name "Bad Name" must be snake_case/);
    expect(v).toMatch(/name "high_value_shoppers" is used more than once/);
    expect(v).toMatch(/needs an event with a value, but "session_start" has value null/);
    expect(v).toMatch(/a ratio metric needs exactly two metricEvents/);
  });

  it('reports true effects on the control group, unknown metrics and unknown segments', () => {
    const s = base();
    const x = s.experiments[0]!;
    expect(controlGroupOf(x)).toBe('Control');
    s.true_effects.push({ experiment: x.name, group: 'Control', metric: 'revenue', relative: 0.1, segments: [] });
    s.true_effects.push({ experiment: x.name, group: 'Test', metric: 'orders', relative: 0.1, segments: [{ attribute: 'shoe_size', value: '42', relative: 0.2 }] });
    const v = validateProjectSpec(s).join('\n');
    expect(v).toMatch(/is the control group/);
    expect(v).toMatch(/metric "orders" is not a primary or secondary metric/);
    expect(v).toMatch(/segment attribute "shoe_size" is not a user attribute/);
  });

  it('rejects a gate referring to an undefined gate', () => {
    const s = base();
    s.gates[0]!.rules = [{ name: 'r', passPercentage: 100, conditions: [{ type: 'passes_gate', targetValue: ['nope_gate'] }] }];
    expect(validateProjectSpec(s).join('\n')).toMatch(/passes_gate refers to gate "nope_gate" which is not defined/);
  });
});
