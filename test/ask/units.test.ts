import { describe, expect, it } from 'vitest';
import { splitDocument } from '../../src/ask/docs.js';
import { matchMetrics, parseQuestion, asksAboutOutcomes } from '../../src/ask/query.js';
import { numbersIn, quoteFound, removeSentences, sameNumber, unknownNames, unsupportedNumbers } from '../../src/ask/check.js';
import { decide } from '../../src/ask/scorecards.js';
import { findAnomalies } from '../../src/ask/explain.js';
import { entityDoc } from '../../src/ask/corpus.js';

const METRICS = ['revenue', 'orders', 'purchasers', 'cart_conversion', 'avg_order_value', 'checkout_funnel', 'searches_per_session', 'signup'];
const NOW = new Date('2026-10-06T12:00:00Z');

describe('splitDocument', () => {
  it('splits Markdown by heading with 1-based line ranges and a heading trail, ignoring # inside code fences', () => {
    const md = ['# Guide', 'intro line', '', '## Revenue', 'Revenue is money.', '```', '# not a heading', '```', '### Detail', 'deep', '## Other', 'x'].join('\n');
    const chunks = splitDocument(md, 'markdown', 'guide.md');
    expect(chunks.map((c) => [c.heading, c.startLine, c.endLine])).toEqual([
      ['Guide', 1, 2],
      ['Revenue', 4, 8],
      ['Detail', 9, 10],
      ['Other', 11, 12],
    ]);
    expect(chunks[2]?.trail).toEqual(['Guide', 'Revenue', 'Detail']);
    expect(chunks[1]?.text).toContain('# not a heading');
  });

  it('splits HTML by <h1>-<h6>, keeps the file\'s line numbers and drops scripts and tags', () => {
    const html = ['<html><body>', '<h1>Glossary</h1>', '<h2>Revenue</h2>', '<p>Order value', 'per user.</p>', '<script>alert(1)</script>', '<h2>AOV</h2>', '<p>Revenue &amp; orders</p>'].join('\n');
    const chunks = splitDocument(html, 'html', 'g.html');
    const rev = chunks.find((c) => c.heading === 'Revenue');
    expect(rev).toMatchObject({ startLine: 3, endLine: 5, trail: ['Glossary', 'Revenue'] });
    expect(rev?.text).toContain('Order value');
    expect(rev?.text).not.toContain('alert');
    expect(rev?.text).not.toContain('<p>');
    expect(chunks.find((c) => c.heading === 'AOV')?.text).toContain('Revenue & orders');
  });

  it('splits text at underlined headings and strips control characters', () => {
    const chunks = splitDocument('Notes\n\nLaunch\n======\nship it\x1b[31m red\n', 'text', 'n.txt');
    expect(chunks.map((c) => c.heading)).toEqual(['n.txt', 'Launch']);
    expect(chunks[1]?.text).not.toContain('\x1b');
    expect(chunks[1]).toMatchObject({ startLine: 3 });
  });
});

describe('parseQuestion', () => {
  it('finds metrics by name, synonym and typo', () => {
    expect(matchMetrics('which experiments moved revenue', METRICS)).toEqual({ metrics: ['revenue'], exact: true });
    expect(matchMetrics('what about sales', METRICS).metrics).toEqual(['revenue']);
    expect(matchMetrics('more sign-ups?', METRICS).metrics).toEqual(['signup']);
    expect(matchMetrics('average order value', METRICS).metrics).toEqual(['avg_order_value']);
    expect(matchMetrics('revenu please', METRICS).metrics).toEqual(['revenue']);
    expect(matchMetrics('conversion', METRICS)).toEqual({ metrics: ['cart_conversion'], exact: false });
    expect(matchMetrics('the weather', METRICS).metrics).toEqual([]);
  });

  it('reads direction, significance, decision and superlatives', () => {
    const f = parseQuestion('which experiments significantly increased revenue the most', METRICS, NOW);
    expect(f).toMatchObject({ metrics: ['revenue'], direction: 'increase', significant: true, superlative: true, decision: null });
    expect(parseQuestion('what hurt orders', METRICS, NOW)).toMatchObject({ decision: 'loss', significant: true });
    expect(parseQuestion('tests where revenue was not significant', METRICS, NOW)).toMatchObject({ significant: false });
    expect(parseQuestion('did searches per session drop', METRICS, NOW)).toMatchObject({ metrics: ['searches_per_session'], direction: 'decrease' });
  });

  it('reads dates: ISO, since/before, month names and relative ranges', () => {
    expect(parseQuestion('wins since 2026-09-01', METRICS, NOW)).toMatchObject({ since: '2026-09-01', until: null });
    expect(parseQuestion('before 2026-09-15', METRICS, NOW)).toMatchObject({ since: null, until: '2026-09-15' });
    expect(parseQuestion('what ran in september', METRICS, NOW)).toMatchObject({ since: '2026-09-01', until: '2026-09-30' });
    expect(parseQuestion('results from the last 7 days', METRICS, NOW)).toMatchObject({ since: '2026-09-29' });
    expect(parseQuestion('last month', METRICS, NOW)).toMatchObject({ since: '2026-09-01', until: '2026-09-30' });
  });

  it('treats metrics as a hard filter only for questions about outcomes', () => {
    expect(asksAboutOutcomes(parseQuestion('which experiments moved revenue', METRICS, NOW), 'which experiments moved revenue')).toBe(true);
    expect(asksAboutOutcomes(parseQuestion('show me an experiment where we changed checkout', METRICS, NOW), 'show me an experiment where we changed checkout')).toBe(false);
  });
});

describe('checks', () => {
  it('extracts numbers but not dates, times or digits inside names', () => {
    expect(numbersIn('revenue rose +4.1% (p = 0.003) on 2026-09-07 at 10:30 in search_v2 and 1,234 users, p < 0.001').map((t) => [t.text, t.percent, t.bound])).toEqual([
      ['+4.1%', true, false],
      ['0.003', false, false],
      ['1,234', false, false],
      ['< 0.001', false, true],
    ]);
  });

  it('matches a quoted number to a value by rounding or cutting at its precision', () => {
    const [t] = numbersIn('4.1%');
    expect(sameNumber(t!, 4.123)).toBe(true);
    expect(sameNumber(t!, 4.19)).toBe(true); // cut
    expect(sameNumber(t!, 4.3)).toBe(false);
    expect(sameNumber(numbersIn('-5.25')[0]!, 5.252)).toBe(true);
  });

  it('flags numbers that match no allowed value (percentages against shares)', () => {
    const allowed = { raw: [6.758, 0.2346], shares: [0.182, 0.95] };
    expect(unsupportedNumbers('revenue +18.2% (estimate 6.76, p 0.235, 95% CI), 3 experiments', allowed)).toEqual([]);
    expect(unsupportedNumbers('revenue rose 25% with p 0.01', allowed).map((t) => t.text)).toEqual(['25%', '0.01']);
  });

  it('finds unknown snake_case names', () => {
    expect(unknownNames('garden_gnome_checkout beat fake_experiment on revenue', new Set(['garden_gnome_checkout']))).toEqual(['fake_experiment']);
  });

  it('finds a quote only when its words are in the source (case, spacing and typographic quotes folded)', () => {
    const source = 'Run every test for at least two full weeks\nto cover weekly seasonality.';
    expect(quoteFound('run every test for at least  two full weeks to cover', source)).toBe(true);
    expect(quoteFound('Run every test for at least three weeks', source)).toBe(false);
    expect(quoteFound('a', source)).toBe(false);
  });

  it('removes only the offending sentences', () => {
    expect(removeSentences('A is good. B rose 99%. C is flat.', (s) => s.includes('99%'))).toEqual({ text: 'A is good. C is flat.', removed: ['B rose 99%.'] });
  });
});

describe('scorecards and explain helpers', () => {
  it('decides win/loss/neutral from significance and the metric direction', () => {
    expect(decide(true, 2, 'increase')).toBe('win');
    expect(decide(true, 2, 'decrease')).toBe('loss');
    expect(decide(true, -2, 'decrease')).toBe('win');
    expect(decide(false, 2, 'increase')).toBe('neutral');
  });

  it('finds a planted outlier day and nothing in a flat series', () => {
    const series = Array.from({ length: 28 }, (_, i) => ({ day: `2026-09-${String(i + 1).padStart(2, '0')}`, value: 100 + (i % 7) }));
    expect(findAnomalies(series)).toEqual([]);
    series[20] = { day: '2026-09-21', value: 20 };
    expect(findAnomalies(series).map((a) => a.day)).toEqual(['2026-09-21']);
  });

  it('indexes an entity from its spec without trusting its shape', () => {
    const doc = entityDoc({ kind: 'experiments', name: 'exp_a', type: 'experiment', status: 'active', spec: '{"description":"Checkout\\u001b[2J test","hypothesis":"faster","tags":["checkout"]}' });
    expect(doc).toMatchObject({ id: 'experiments/exp_a', kind: 'experiment', path: '/experiments/exp_a', title: 'Checkout[2J test' });
    expect(doc?.text).toContain('faster');
    expect(entityDoc({ kind: 'experiments', name: 'x', type: null, status: null, spec: 'not json' })).toMatchObject({ title: '' });
    expect(entityDoc({ kind: 'evil', name: 'x', type: null, status: null, spec: '{}' })).toBeNull();
  });
});
