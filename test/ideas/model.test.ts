/**
 * The model path of `ideas`: the request carries the page model and the screenshots (image
 * parts); made-up selectors go back to the model in a repair turn and what is still not on the
 * page is dropped, and the output says how many. Through the real CLI, the real LLM client and
 * the OpenAI-compatible test server; grounding itself is also tested on parsed pages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkSelector, findPage, groundIdeas, groundingProblems, type GroundPage } from '../../src/ai/ideas/grounding.js';
import { IdeasReplySchema, rankIdeas, slugify, type ExperimentIdea } from '../../src/ai/ideas/schema.js';
import { renderIdeas } from '../../src/commands/ideas.js';
import { parseHtml } from '../../src/web/html.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { startOpenAIServer, type OpenAIServer, type Script } from '../support/openai-server.js';
import { tmpDir } from '../support/tmp.js';
import { SITES_DIR, startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { installedChromium } from './support/helpers.js';

function idea(pageUrl: string, title: string, selectors: string[], ice = { impact: 7, confidence: 6, ease: 8 }): ExperimentIdea {
  return {
    title,
    summary: `${title}: a scripted idea.`,
    page_url: pageUrl,
    evidence: selectors.map((s) => ({ selector: s, observation: `seen at ${s}` })),
    hypothesis: `Because we observed X, we believe ${title.toLowerCase()} will cause more signups for first-time visitors; we will know when signup_completed moves.`,
    control: 'The page as it is.',
    test: `${title}.`,
    primary_metric: { name: 'signup_completed', type: 'conversion', direction: 'increase' },
    guardrail_metrics: [{ name: 'bounce', type: 'conversion', direction: 'decrease' }],
    id_type: 'stableID',
    ice,
  };
}

const SITE = { summary: 'Acme Analytics sells product analytics.', purpose: 'Sign up teams for a trial.', audience: 'Product and growth teams.', primary_conversion: 'Start free trial' };

describe('grounding', () => {
  const read = (f: string) => parseHtml(fs.readFileSync(path.join(SITES_DIR, f), 'utf8'));
  const pages: GroundPage[] = [
    { url: 'http://site.test/acme/', finalUrl: 'http://site.test/acme/', trees: [read('acme/index.html')] },
    { url: 'http://site.test/acme/signup.html', finalUrl: 'http://site.test/acme/signup.html', trees: [read('acme/signup.html')] },
  ];

  it('checks selectors against the page they cite', () => {
    expect(checkSelector(pages[0] as GroundPage, '#hero-cta')).toEqual({ ok: true, matches: 1 });
    expect(checkSelector(pages[0] as GroundPage, 'a.btn-primary')).toEqual({ ok: true, matches: 3 });
    expect(checkSelector(pages[0] as GroundPage, '#signup')).toEqual({ ok: false, reason: 'matches no element on the page' });
    expect(checkSelector(pages[1] as GroundPage, '#signup')).toEqual({ ok: true, matches: 1 });
    const hover = checkSelector(pages[0] as GroundPage, 'a.btn:hover');
    expect(hover.ok).toBe(false);
    expect(!hover.ok && hover.reason).toMatch(/^is not a CSS selector that can be checked \(:hover is not supported/);
    expect(findPage(pages, 'http://site.test/acme/signup.html#top')?.url).toBe('http://site.test/acme/signup.html');
    expect(findPage(pages, 'http://site.test/acme')?.url).toBe('http://site.test/acme/');
    expect(findPage(pages, 'http://site.test/other')).toBeNull();
  });

  it('words problems for the repair turn', () => {
    const problems = groundingProblems(
      [
        idea('http://site.test/acme/', 'Good', ['#hero-cta']),
        idea('http://site.test/acme/', 'Made up', ['.made-up-cta', '#hero-cta']),
        idea('http://site.test/nowhere', 'Lost', ['#email']),
      ],
      pages,
    );
    expect(problems).toEqual([
      'experiments[1] ("Made up"): evidence selector ".made-up-cta" matches no element on the page http://site.test/acme/; cite a selector from that page\'s model, or drop the idea',
      'experiments[2] ("Lost"): page_url "http://site.test/nowhere" is not one of the captured pages (http://site.test/acme/, http://site.test/acme/signup.html)',
    ]);
  });

  it('keeps real evidence, drops ideas with none, and moves an idea to the page its selectors match', () => {
    const g = groundIdeas(
      [
        idea('http://site.test/acme/', 'Good', ['#hero-cta']),
        idea('http://site.test/acme/', 'Half real', ['.nope', 'h1']),
        idea('http://site.test/acme/', 'Fake', ['.made-up-cta', 'div:has-text("x")']),
        idea('http://site.test/elsewhere', 'Wrong page', ['#email', '#password']),
      ],
      pages,
    );
    expect(g.kept.map((k) => [k.title, k.page_url, k.evidence.map((e) => e.selector)])).toEqual([
      ['Good', 'http://site.test/acme/', ['#hero-cta']],
      ['Half real', 'http://site.test/acme/', ['h1']],
      ['Wrong page', 'http://site.test/acme/signup.html', ['#email', '#password']],
    ]);
    expect(g.dropped).toEqual([{ title: 'Fake', reason: 'none of its selectors (.made-up-cta, div:has-text("x")) match an element on http://site.test/acme/' }]);
    expect(g.evidenceDropped).toBe(1);
  });

  it('ranks by ICE score and makes unique snake_case ids', () => {
    const base = (t: string, ice: { impact: number; confidence: number; ease: number }) => ({ ...idea('u', t, ['h1'], ice), ice: { ...ice, score: (ice.impact + ice.confidence + ice.ease) / 3 }, source: 'model' as const, rule: null });
    const ranked = rankIdeas([base('Low', { impact: 2, confidence: 2, ease: 2 }), base('High', { impact: 9, confidence: 9, ease: 9 }), base('High', { impact: 9, confidence: 8, ease: 10 })], 2);
    expect(ranked.map((r) => [r.rank, r.id, r.ice.score])).toEqual([
      [1, 'high', 9],
      [2, 'high_2', 9],
    ]);
    expect(slugify('Move “Get Gizmo Pro” into the first screen of /shoddy/landing.html')).toBe('move_get_gizmo_pro_into_the_first_screen_of_shoddy');
    expect(slugify('3 tips')).toBe('idea_3_tips');
    expect(slugify('Été')).toBe('ete');
  });
});

const chromium = await installedChromium();

describe.skipIf(!chromium)('ideas with a model (OpenAI-compatible test server)', () => {
  let site: FixtureServer;
  const servers: OpenAIServer[] = [];
  beforeAll(async () => {
    site = await startFixtureServer();
  });
  afterAll(async () => {
    await site?.close();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const model = async (script: Script): Promise<OpenAIServer> => {
    const s = await startOpenAIServer(script);
    servers.push(s);
    return s;
  };

  it('sends the page model and the screenshots, repairs made-up selectors once, drops what is still not real', async () => {
    const home = `${site.origin}/acme/`;
    const first = {
      site: SITE,
      experiments: [
        idea(home, 'Sharper hero headline', ['h1'], { impact: 6, confidence: 6, ease: 9 }),
        idea(home, 'Sticky signup bar', ['.made-up-cta']),
        idea(home, 'Bigger trial button', ['#hero-cta', '.nope'], { impact: 8, confidence: 7, ease: 9 }),
      ],
    };
    // The "repair": the made-up idea keeps its made-up selector; the half-real one keeps .nope.
    const second = { site: SITE, experiments: first.experiments.map((e) => ({ ...e })) };
    const server = await model([{ json: first }, { json: second }]);
    const dir = tmpDir('sh-ideas-model-');
    const res = await runCli(['ideas', home, '--pages', '1', '--max-ideas', '3', '--json', '--out', 'out'], {
      cwd: dir,
      env: baseEnv({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test-ideas-123' }),
    });
    expect(res.stderr).not.toMatch(/error/);
    expect(res.code).toBe(0);
    const out = res.json();

    // The request: strict schema, the page model as text, both screenshots as image parts.
    const [req1, req2] = server.chatRequests();
    expect(server.chatRequests()).toHaveLength(2);
    expect(req1?.body.model).toBe('gpt-4.1-mini');
    expect(req1?.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'experiment_ideas', strict: true } });
    const [system, user] = req1?.body.messages ?? [];
    expect(system.role).toBe('system');
    expect(system.content).toContain('Propose up to 3 experiments');
    expect(system.content).toContain(home);
    const parts = user.content as { type: string; text?: string; image_url?: { url: string } }[];
    expect(parts[0]?.type).toBe('text');
    const json = /Page models and the links between pages \(JSON\):\n(.*)\n/.exec(parts[0]?.text ?? '')?.[1];
    const sent = JSON.parse(json ?? 'null') as { pages: { url: string; title: string; ctas: { selector: string }[] }[] };
    expect(sent.pages.map((p) => p.url)).toEqual([home]);
    expect(sent.pages[0]?.title).toBe(out.capture.pages[0].model.title);
    expect(sent.pages[0]?.ctas.map((c) => c.selector)).toContain('#hero-cta');
    const images = parts.filter((p) => p.type === 'image_url');
    expect(images).toHaveLength(2);
    const files = out.capture.pages[0].screenshots.map((s: { path: string }) => fs.readFileSync(path.join(dir, 'out', s.path)));
    expect(images.map((p) => Buffer.from((p.image_url?.url ?? '').replace(/^data:image\/jpeg;base64,/, ''), 'base64'))).toEqual(files);
    expect(parts.filter((p) => p.type === 'text').map((p) => p.text).slice(1)).toEqual([
      `Screenshot: ${home}, desktop 1280x800, first screen.`,
      expect.stringMatching(new RegExp(`^Screenshot: ${home.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, desktop 1280x\\d+, full page\\.$`)),
    ]);
    expect(out.images_sent).toEqual([
      { url: home, viewport: 'desktop', kind: 'fold' },
      { url: home, viewport: 'desktop', kind: 'full' },
    ]);

    // The repair turn names the selectors that are not on the page.
    const msgs = req2?.body.messages as { role: string; content: string }[];
    expect(msgs.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(JSON.parse(msgs[2]?.content ?? '{}')).toEqual(first);
    expect(msgs[3]?.content).toContain(`experiments[1] ("Sticky signup bar"): evidence selector ".made-up-cta" matches no element on the page ${home}`);
    expect(msgs[3]?.content).toContain('experiments[2] ("Bigger trial button"): evidence selector ".nope" matches no element');
    expect(msgs[3]?.content).not.toContain('Sharper hero headline');

    // Still made up after the repair: dropped, and counted.
    expect(out.mode).toBe('model');
    expect(out.dropped).toEqual({ ideas: 1, evidence: 1, details: [{ title: 'Sticky signup bar', reason: `none of its selectors (.made-up-cta) match an element on ${home}` }] });
    expect(out.experiments.map((e: { rank: number; title: string; ice: { score: number }; evidence: { selector: string }[]; source: string }) => [e.rank, e.title, e.ice.score, e.evidence.map((x) => x.selector), e.source])).toEqual([
      [1, 'Bigger trial button', 8, ['#hero-cta'], 'model'],
      [2, 'Sharper hero headline', 7, ['h1'], 'model'],
    ]);
    expect(out.site).toEqual(SITE);
    expect(out.usage.calls).toBe(2);
    expect(renderIdeas(out, dir)).toContain('Dropped 1 idea that cited no element on the page: “Sticky signup bar”');
    const report = fs.readFileSync(path.join(dir, 'out', 'report.md'), 'utf8');
    expect(report).toContain('1 idea was dropped because it cited no element that is on the page: “Sticky signup bar”.');
    expect(res.stdout).not.toContain('sk-test-ideas-123');
  });

  it('keeps every idea when the repair fixes the selectors, and says 0 were dropped', async () => {
    const page = `${site.origin}/acme/signup.html`;
    const bad = { site: SITE, experiments: [idea(page, 'Fewer fields', ['form.signup-form'])] };
    const good = { site: SITE, experiments: [idea(page, 'Fewer fields', ['#signup', '#company'])] };
    const server = await model((req, i) => {
      if (i === 0) return { json: bad };
      const last = (req.body.messages as { content: string }[]).at(-1)?.content ?? '';
      return last.includes('"form.signup-form" matches no element') ? { json: good } : { status: 400, error: { message: 'unexpected repair prompt' } };
    });
    const dir = tmpDir('sh-ideas-model-');
    const res = await runCli(['ideas', page, '--pages', '1', '--model', 'gpt-4o-mini', '--viewport', 'both'], {
      cwd: dir,
      env: baseEnv({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test-ideas-123' }),
    });
    expect(res.code).toBe(0);
    expect(server.chatRequests().map((r) => r.body.model)).toEqual(['gpt-4o-mini', 'gpt-4o-mini']);
    // Both viewports: the signup page fits the desktop screen (one picture) but not the mobile one (two).
    const parts = server.chatRequests()[0]?.body.messages[1].content as { type: string; text?: string }[];
    expect(parts.filter((p) => p.type === 'image_url')).toHaveLength(3);
    expect(parts.filter((p) => p.type === 'text').slice(1).map((p) => /, (desktop|mobile) \d+x\d+, (first screen|full page)\./.exec(p.text ?? '')?.slice(1).join(' '))).toEqual([
      'desktop first screen',
      'mobile first screen',
      'mobile full page',
    ]);
    expect(res.stdout).toContain('gpt-4o-mini: 1 idea from 1 page');
    expect(res.stdout).toContain('Fewer fields');
    expect(res.stdout).toContain('Dropped 0 ideas: every idea cites elements that are on the page.');
    expect(res.stdout).toContain('Model: 2 calls');
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'ideas', 'ideas.json'), 'utf8'));
    expect(saved.experiments[0].evidence.map((e: { selector: string }) => e.selector)).toEqual(['#signup', '#company']);
    expect(IdeasReplySchema.safeParse({ site: saved.site, experiments: saved.experiments.map(({ id: _i, rank: _r, source: _s, rule: _u, ice, ...e }: any) => ({ ...e, ice: { impact: ice.impact, confidence: ice.confidence, ease: ice.ease } })) }).success).toBe(true);
  });

  it('--offline never calls the configured model', async () => {
    const server = await model([]);
    const dir = tmpDir('sh-ideas-model-');
    const res = await runCli(['ideas', `${site.origin}/shoddy/signup.html`, '--pages', '1', '--offline', '--no-browser', '--json'], {
      cwd: dir,
      env: baseEnv({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test-ideas-123' }),
    });
    expect(res.code).toBe(0);
    expect(server.requests).toEqual([]);
    expect(res.stderr).not.toContain('no model configured');
    expect(res.json().mode).toBe('offline');
  });
});

describe('a model call that fails', () => {
  it('ends "Asking <model> for ideas" as failed, never "The model answered", ahead of the error', async () => {
    const site = await startFixtureServer();
    const server = await startOpenAIServer([{ status: 401, error: { message: 'bad key', type: 'invalid_request_error', code: 'invalid_api_key' } }]);
    try {
      const res = await runCli(['ideas', `${site.origin}/shoddy/signup.html`, '--pages', '1', '--no-browser'], {
        cwd: tmpDir('sh-ideas-model-'),
        env: baseEnv({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test-ideas-123' }),
      });
      expect(res.code).toBe(1);
      expect(server.chatRequests()).toHaveLength(1);
      expect(res.stderr).not.toContain('The model answered');
      const lines = res.stderr.split('\n');
      const start = lines.indexOf('Asking gpt-4.1-mini for ideas...');
      expect(start, res.stderr).toBeGreaterThanOrEqual(0);
      expect(lines[start + 1], res.stderr).toMatch(/^Asking gpt-4\.1-mini for ideas: failed \([\d.]+ ?m?s\)$/);
      expect(lines[start + 2], res.stderr).toMatch(/^error: .*401/);
    } finally {
      await server.close();
      await site.close();
    }
  });
});
