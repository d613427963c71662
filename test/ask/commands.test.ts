import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDemoProject, DOCS_DIR } from '../../bench/_ask-golden.js';
import { Store } from '../../src/store/store.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

let dir: string;
let db: string;
let docs: string;

beforeAll(async () => {
  dir = tmpDir('sh-ask-cmd-');
  db = await buildDemoProject(dir);
  docs = path.join(dir, 'docs');
  fs.cpSync(DOCS_DIR, docs, { recursive: true });
}, 120_000);

const cli = (argv: string[]) => runCli(argv, { cwd: dir, env: baseEnv() });

describe('ask (offline)', () => {
  it('ranks the experiments with revenue results by the size of the effect, with key results', async () => {
    const r = await cli(['ask', 'which experiments moved revenue the most', '--json']);
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.mode).toBe('offline');
    expect(j.filters).toMatchObject({ metrics: ['revenue'], superlative: true });
    const lifts = j.experiments.map((e: { results: { rel_lift: number }[] }) => Math.abs(e.results[0]!.rel_lift));
    expect(lifts).toEqual([...lifts].sort((a: number, b: number) => b - a));
    expect(j.experiments.every((e: { results: { metric: string }[] }) => e.results.every((x) => x.metric === 'revenue'))).toBe(true);
    expect(j.citations[0].path).toBe(`/experiments/${j.experiments[0].name}`);
    const human = await cli(['ask', 'which experiments moved revenue the most']);
    expect(human.stdout).toContain(`1. ${j.experiments[0].name}`);
    expect(human.stdout).toContain('filters: metric revenue');
  });

  it('finds an experiment by what it changed, and keeps only significant wins when asked', async () => {
    const r = await cli(['ask', 'show me an experiment where we changed checkout', '--json']);
    expect(r.json().experiments[0].name).toBe('garden_gnome_one_page_checkout');
    const wins = (await cli(['ask', 'any significant wins', '--json'])).json();
    expect(wins.experiments.length).toBeGreaterThan(0);
    for (const e of wins.experiments) for (const s of e.results) expect(s).toMatchObject({ significant: true, decision: 'win' });
  });

  it('rejects an empty question with a usage error', async () => {
    const r = await cli(['ask', '  ']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ask needs a question');
  });
});

describe('search and show', () => {
  it('is typo-tolerant and gives each result a console path and a show command', async () => {
    const j = (await cli(['search', 'free shiping', '--json'])).json();
    expect(j.results[0]).toMatchObject({ kind: 'experiment', name: 'garden_gnome_free_shipping_nudge', path: '/experiments/garden_gnome_free_shipping_nudge', show: 'statsig-hack show experiment garden_gnome_free_shipping_nudge' });
    const gates = (await cli(['search', 'vip early acess', '--type', 'gate', '--json'])).json();
    expect(gates.results.map((x: { kind: string }) => x.kind)).toEqual(gates.results.map(() => 'gate'));
    expect(gates.results[0].name).toBe('vip_early_access');
  });

  it('shows an entity with its saved results, and suggests the closest name for a typo', async () => {
    const r = await cli(['show', 'experiment', 'garden_gnome_one_page_checkout']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('/experiments/garden_gnome_one_page_checkout');
    expect(r.stdout).toContain('saved results');
    const typo = await cli(['show', 'experiment', 'garden_gnome_one_page_chekout']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('did you mean `statsig-hack show experiment garden_gnome_one_page_checkout`');
    const bad = await cli(['show', 'widget', 'x']);
    expect(bad.code).toBe(2);
  });

  it('keeps the index next to the store and refreshes only what changed', async () => {
    await cli(['search', 'checkout']);
    expect(fs.existsSync(path.join(dir, '.statsig-hack', 'project.ask-index.json'))).toBe(true);
    const again = await cli(['search', 'checkout', '--debug']);
    expect(again.stderr).toMatch(/loaded, 0 added, 0 removed/);
    const store = await Store.open(db);
    await store.run(`UPDATE entities SET spec = json_merge_patch(spec, '{"description":"Lavender scented gnomes"}') WHERE kind = 'gates' AND name = 'vip_early_access'`);
    store.close();
    const changed = await cli(['search', 'lavender', '--debug', '--json']);
    expect(changed.stderr).toMatch(/loaded, 1 added, 0 removed/);
    expect(changed.json().results[0].name).toBe('vip_early_access');
  });
});

describe('chat (offline)', () => {
  it('quotes the docs with file, heading and line range; the quote is in those lines', async () => {
    const j = (await cli(['chat', 'what is CUPED', '--docs', 'docs', '--json'])).json();
    expect(j.known).toBe(true);
    const q = j.quotes[0];
    expect(q).toMatchObject({ file: 'guides/experimentation-guide.md', heading: 'CUPED variance reduction' });
    const lines = fs.readFileSync(path.join(docs, q.file), 'utf8').split('\n').slice(q.lines[0] - 1, q.lines[1]).join(' ');
    expect(lines.replace(/\s+/g, ' ')).toContain(q.text);
  });

  it('says "I don\'t know" when nothing supports an answer', async () => {
    const j = (await cli(['chat', 'what is the capital of France', '--docs', 'docs', '--json'])).json();
    expect(j).toMatchObject({ known: false, quotes: [] });
    expect(j.answer).toMatch(/^I don't know/);
  });

  it('needs a question when it cannot be interactive, and a folder that exists', async () => {
    expect((await cli(['chat', '--docs', 'docs'])).code).toBe(2);
    const missing = await cli(['chat', 'x', '--docs', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--docs nope: no such folder');
  });
});

describe('explain (offline)', () => {
  it('computes a funnel in SQL: counts never grow and conversion is each step over the one before', async () => {
    const j = (await cli(['explain', '--funnel', 'checkout_funnel', '--json'])).json();
    expect(j.steps.map((s: { event: string }) => s.event)).toEqual(['add_to_cart', 'checkout_start', 'purchase']);
    for (let i = 1; i < j.steps.length; i += 1) {
      expect(j.steps[i].users).toBeLessThanOrEqual(j.steps[i - 1].users);
      expect(j.steps[i].conversion).toBeCloseTo(j.steps[i].users / j.steps[i - 1].users, 12);
    }
    expect(j.explanation).toContain(`add_to_cart: ${j.steps[0].users.toLocaleString('en-US')} users`);
  });

  it('gives a metric\'s daily series whose total matches an independent SQL sum', async () => {
    const j = (await cli(['explain', '--metric', 'revenue', '--json'])).json();
    expect(j.series).toHaveLength(28);
    const store = await Store.open(db, { readOnly: true });
    const rows = await store.all<{ s: number }>(`SELECT sum(value) AS s FROM events WHERE event = 'purchase' AND ts >= DATE '${j.window.start}' AND ts < DATE '${j.window.end}' + INTERVAL 1 DAY`);
    store.close();
    const total = j.series.reduce((a: number, p: { value: number }) => a + p.value, 0);
    expect(total).toBeCloseTo(Number(rows[0]!.s), 6);
    expect(j.measures).toBe('the total value of purchase events');
  });

  it('needs exactly one of --metric and --funnel, and names the closest metric for a typo', async () => {
    expect((await cli(['explain'])).code).toBe(2);
    const typo = await cli(['explain', '--metric', 'revenu']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('did you mean --metric revenue?');
  });
});

describe('analyze saves scorecards', () => {
  it('saves in store mode and skips with --no-save', async () => {
    const store = await Store.open(db);
    await store.run("DELETE FROM scorecards WHERE experiment = 'garden_gnome_app_home_feed'");
    store.close();
    const count = async (): Promise<number> => {
      const s = await Store.open(db, { readOnly: true });
      const n = await s.all<{ n: number }>("SELECT count(*) AS n FROM scorecards WHERE experiment = 'garden_gnome_app_home_feed'");
      s.close();
      return Number(n[0]!.n);
    };
    expect((await cli(['analyze', '--experiment', 'garden_gnome_app_home_feed', '--no-save', '--json'])).code).toBe(0);
    expect(await count()).toBe(0);
    const r = await cli(['analyze', '--experiment', 'garden_gnome_app_home_feed', '--json']);
    expect(r.code).toBe(0);
    expect(await count()).toBe(r.json().results.length);
  });
});

describe('the docs folder and the index file are untrusted', () => {
  it('follows no symlink out of the folder, skips oversized files with a warning, and drops a deleted file', async () => {
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside, { recursive: true });
    fs.writeFileSync(path.join(outside, 'secret.md'), '# Secret\n\nzanzibar password hunter2\n');
    const folder = path.join(dir, 'docs2');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'a.md'), '# Alpha\n\nquokka facts live here.\n');
    fs.writeFileSync(path.join(folder, 'big.md'), `# Big\n\n${'wombat '.repeat(400_000)}\n`);
    fs.symlinkSync(outside, path.join(folder, 'link'));
    fs.symlinkSync(path.join(outside, 'secret.md'), path.join(folder, 'secret-link.md'));
    const r = await cli(['search', 'zanzibar', '--docs', 'docs2', '--type', 'doc', '--json']);
    expect(r.code).toBe(0);
    expect(r.json().results).toEqual([]);
    expect(r.stderr).toContain('docs: skipped big.md (larger than');
    expect((await cli(['search', 'quokka', '--docs', 'docs2', '--type', 'doc', '--json'])).json().results[0].path).toBe('a.md#L1-L3');
    fs.rmSync(path.join(folder, 'a.md'));
    expect((await cli(['search', 'quokka', '--docs', 'docs2', '--type', 'doc', '--json'])).json().results).toEqual([]);
  });

  it('rebuilds a corrupt index file instead of failing', async () => {
    const file = path.join(dir, '.statsig-hack', 'project.ask-index.json');
    fs.writeFileSync(file, '{"version":1,"index":"garbage"');
    const r = await cli(['search', 'checkout', '--json', '--debug']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/built, \d+ added/);
    expect(r.json().results[0].name).toBe('garden_gnome_one_page_checkout');
    expect(() => JSON.parse(fs.readFileSync(file, 'utf8')) as unknown).not.toThrow();
  });
});

describe('explain --chart', () => {
  it('reads a chart\'s data file, sums it per day in SQL and flags the planted dip', async () => {
    const rows = ['date,signups'];
    for (let d = 1; d <= 28; d += 1) rows.push(`2026-09-${String(d).padStart(2, '0')},${d === 20 ? 5 : 100 + (d % 7)}`);
    rows.push('2026-09-28,10');
    fs.writeFileSync(path.join(dir, 'chart.csv'), `${rows.join('\n')}\n`);
    const j = (await cli(['explain', '--chart', 'chart.csv', '--json'])).json();
    expect(j).toMatchObject({ kind: 'chart', name: 'signups', window: { start: '2026-09-01', end: '2026-09-28' } });
    expect(j.series).toHaveLength(28);
    expect(j.series[27]).toEqual({ day: '2026-09-28', value: 100 + (28 % 7) + 10 });
    expect(j.anomalies.map((a: { day: string }) => a.day)).toEqual(['2026-09-20']);
    fs.writeFileSync(path.join(dir, 'bad.csv'), 'a,b\nx,y\n');
    const bad = await cli(['explain', '--chart', 'bad.csv']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('cannot find a date column and a number column');
  });
});

describe('docs stay indexed between commands', () => {
  it('keeps the last --docs folder for commands without one, and replaces it with another folder', async () => {
    const a = path.join(dir, 'docs-a');
    const b = path.join(dir, 'docs-b');
    fs.mkdirSync(a, { recursive: true });
    fs.mkdirSync(b, { recursive: true });
    fs.writeFileSync(path.join(a, 'a.md'), '# Axolotl\n\naxolotl habitat notes\n');
    fs.writeFileSync(path.join(b, 'b.md'), '# Capybara\n\ncapybara habitat notes\n');
    expect((await cli(['chat', 'axolotl habitat', '--docs', 'docs-a', '--json'])).json().known).toBe(true);
    const kept = await cli(['search', 'axolotl', '--debug', '--json']);
    expect(kept.json().results[0].path).toBe('a.md#L1-L3');
    expect(kept.stderr).toMatch(/loaded, 0 added, 0 removed/);
    await cli(['search', 'capybara', '--docs', 'docs-b', '--json']);
    expect((await cli(['search', 'axolotl', '--type', 'doc', '--json'])).json().results).toEqual([]);
  });
});
