/**
 * `statsig-hack ideas` through the CLI (in-process): the offline default with its notice, the
 * report folder, --json, --create into the project store, the no-browser fallback, and bad
 * input as one-line errors.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEAS_TAG, experimentSpec } from '../../src/ai/ideas/experiments.js';
import { resolveBrowser } from '../../src/ai/ideas/service.js';
import { ExperimentSchema } from '../../src/ai/seed/schema.js';
import { UserError } from '../../src/core/errors.js';
import { Store } from '../../src/store/store.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { badRoutes, installedChromium, jpegSize } from './support/helpers.js';

let srv: FixtureServer;
beforeAll(async () => {
  srv = await startFixtureServer(badRoutes());
});
afterAll(async () => {
  await srv?.close();
});

const chromium = await installedChromium();

describe('bad input', () => {
  it('rejects what is not an http(s) URL with a usage error, before starting anything', async () => {
    const dir = tmpDir('sh-ideas-cmd-');
    const cases: [string, string][] = [
      ['not a url', 'error: not a URL: "not a url"'],
      ['ftp://files.example.com/a', 'error: unsupported URL scheme "ftp:" in "ftp://files.example.com/a"; only http and https pages can be captured'],
      ['file:///etc/passwd', 'error: unsupported URL scheme "file:"'],
      ['javascript:alert(1)', 'error: unsupported URL scheme "javascript:"'],
      ['http://', 'error: not a URL: "http://"'],
    ];
    for (const [url, message] of cases) {
      const res = await runCli(['ideas', url], { cwd: dir });
      expect(res.code, url).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr.split('\n')[0], url).toContain(message);
      expect(res.stderr).toMatch(/hint: /);
    }
    expect(fs.existsSync(path.join(dir, 'ideas'))).toBe(false);
    const json = await runCli(['ideas', 'mailto:me@example.com', '--json'], { cwd: dir });
    expect(json.json()).toEqual({ error: { message: 'unsupported URL scheme "mailto:" in "mailto:me@example.com"; only http and https pages can be captured', hint: 'pass an http:// or https:// URL', code: 'IDEAS_BAD_SCHEME' } });
  });

  it('rejects bad option values', async () => {
    const dir = tmpDir('sh-ideas-cmd-');
    for (const [args, message, hint] of [
      [['--pages', '0'], '--pages must be at least 1, got "0"', 'hint: e.g. --pages 3'],
      [['--max-ideas', 'many'], '--max-ideas must be a number, got "many"', 'hint: e.g. --max-ideas 8'],
      [['--timeout', '-1'], '--timeout must be at least 1, got "-1"', 'hint: e.g. --timeout 30'],
      [['--viewport', 'tablet'], "option '--viewport <name>' argument 'tablet' is invalid", ''],
    ] as [string[], string, string][]) {
      const res = await runCli(['ideas', 'https://example.com', ...args], { cwd: dir });
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain(message);
      // The example in the hint is a sensible value (not "--max-ideas 1", not "--timeout 0.05").
      expect(res.stderr).toContain(hint);
    }
  });

  it('fails on an unreachable, missing or non-HTML start page with one line (no browser)', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const dir = tmpDir('sh-ideas-cmd-');
    const cases: [string, string][] = [
      [`http://127.0.0.1:${port}/`, `error: connection refused by 127.0.0.1:${port}`],
      [`${srv.origin}/acme/nope.html`, `error: ${srv.origin}/acme/nope.html answered HTTP 404 Not Found`],
      [`${srv.origin}/bad/doc.pdf`, `error: ${srv.origin}/bad/doc.pdf is not an HTML page (application/pdf)`],
    ];
    for (const [url, line] of cases) {
      const res = await runCli(['ideas', url, '--no-browser', '--offline'], { cwd: dir });
      expect(res.code, url).toBe(1);
      const lines = res.stderr.trim().split('\n').filter((l) => !/^Capturing|^Captured|^Capture stopped/.test(l));
      expect(lines[0]).toBe(line);
      expect(lines[1]).toMatch(/^ {2}hint: /);
      expect(lines).toHaveLength(2);
    }
  });
});

describe('browser discovery', () => {
  it('falls back to HTML without a browser when none is installed, and says so', async () => {
    const none = () => Promise.reject(new UserError('no Chromium found', { hint: 'install one', code: 'NO_BROWSER' }));
    await expect(resolveBrowser({ noBrowser: false, config: {}, env: {}, findBrowser: none })).resolves.toEqual({
      path: null,
      reason: 'no Chromium found',
      warning: 'no Chromium found: fetching the HTML without a browser (no screenshots, no layout facts); install one',
    });
    await expect(resolveBrowser({ noBrowser: true, config: {}, env: {}, findBrowser: none })).resolves.toEqual({ path: null, reason: '--no-browser', warning: null });
  });

  it('fails on a configured browser path that does not exist, naming --no-browser', async () => {
    const dir = tmpDir('sh-ideas-cmd-');
    const res = await runCli(['ideas', `${srv.origin}/acme/`, '--offline'], { cwd: dir, env: baseEnv({ STATSIG_HACK_CHROMIUM: path.join(dir, 'no-such-chrome') }) });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`error: the browser set in STATSIG_HACK_CHROMIUM does not exist or is not executable: ${path.join(dir, 'no-such-chrome')}`);
    expect(res.stderr).toContain('or pass --no-browser to fetch the HTML without a browser');
  });

  it('falls back to HTML when the browser will not start, with a warning and no screenshots', async () => {
    const dir = tmpDir('sh-ideas-cmd-');
    const res = await runCli(['ideas', `${srv.origin}/shoddy/signup.html`, '--pages', '1', '--json'], { cwd: dir, env: baseEnv({ STATSIG_HACK_CHROMIUM: '/bin/true' }) });
    expect(res.code).toBe(0);
    const out = res.json();
    expect(out.capture.mode).toBe('html');
    expect(out.capture.fallback_reason).toMatch(/^could not start the browser \/bin\/true: /);
    expect(res.stderr).toMatch(/warning: could not start the browser \/bin\/true: .*; fetched the HTML without a browser instead \(no screenshots, no layout facts\)/);
    expect(res.stderr).toContain('warning: layout rules (fold, prominence, contrast, paint timing) were skipped: no browser');
    expect(out.capture.pages[0].screenshots).toEqual([]);
    expect(out.experiments.map((e: { rule: string }) => e.rule).sort()).toEqual(['long-form', 'missing-social-proof', 'nav-distraction', 'placeholder-labels', 'vague-cta-copy']);
    expect(fs.readFileSync(path.join(dir, 'ideas', 'report.md'), 'utf8')).toContain('as HTML without a browser (could not start the browser /bin/true');
  });
});

describe('--create', () => {
  it('stores each idea as a Console-API-shaped experiment in setup, in one go, and updates its own on a re-run', async () => {
    const dir = tmpDir('sh-ideas-cmd-');
    const db = path.join(dir, 'exp.duckdb');
    // An experiment that is not ours, with the name one idea will want.
    const pre = await Store.open(db, { create: true });
    await pre.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES ('experiments', 'shorten_the_signup_form_to_the_essentials', 'experiment', 'active', '{"name":"shorten_the_signup_form_to_the_essentials"}')`);
    pre.close();

    const args = ['ideas', `${srv.origin}/shoddy/signup.html`, '--pages', '1', '--no-browser', '--offline', '--create', '--db', db, '--json'];
    const res = await runCli(args, { cwd: dir });
    expect(res.code).toBe(0);
    const out = res.json();
    expect(out.created.db).toBe(db);
    expect(out.created.experiments.map((c: { action: string }) => c.action)).toEqual(out.experiments.map(() => 'created'));
    const names = out.created.experiments.map((c: { name: string }) => c.name);
    expect(names).toContain('shorten_the_signup_form_to_the_essentials_2');

    const store = await Store.open(db, { readOnly: true });
    try {
      const rows = await store.all<{ name: string; type: string; status: string; spec: string }>(`SELECT name, type, status, CAST(spec AS VARCHAR) AS spec FROM entities WHERE kind = 'experiments' ORDER BY name`);
      expect(rows).toHaveLength(out.experiments.length + 1);
      const theirs = rows.find((r) => r.name === 'shorten_the_signup_form_to_the_essentials');
      expect(theirs).toMatchObject({ status: 'active', spec: '{"name":"shorten_the_signup_form_to_the_essentials"}' });
      for (const [i, created] of out.created.experiments.entries()) {
        const row = rows.find((r) => r.name === created.name);
        expect(row).toMatchObject({ type: 'experiment', status: 'setup' });
        const spec = JSON.parse(row?.spec ?? '{}');
        expect(spec).toEqual(experimentSpec(out.experiments[i], created.name));
        expect(spec).toMatchObject({ status: 'setup', tags: [IDEAS_TAG], controlGroupID: 'Control', allocation: 100, idType: 'stableID' });
        expect(spec.groups.map((g: { name: string; size: number }) => [g.name, g.size])).toEqual([
          ['Control', 50],
          ['Test', 50],
        ]);
        expect(spec.primaryMetrics[0].type).toBe('event_user');
        // The same shape `seed` validates before pushing to the Console API.
        expect(ExperimentSchema.safeParse(spec).success, created.name).toBe(true);
      }
    } finally {
      store.close();
    }

    // The human output says how to push what it stored.
    const human = await runCli(args.filter((a) => a !== '--json'), { cwd: dir });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Stored \d+ experiments \(status setup, \d+ updated\) in exp\.duckdb: /);
    expect(human.stdout).toContain('Push them to your Statsig project with `statsig-hack push`.');

    const again = await runCli(args, { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.json().created.experiments.map((c: { name: string; action: string }) => [c.name, c.action])).toEqual(names.map((n: string) => [n, 'updated']));
    const after = await Store.open(db, { readOnly: true });
    try {
      expect(await after.count('entities')).toBe(out.experiments.length + 1);
    } finally {
      after.close();
    }
  });
});

describe('a page that cannot be loaded', () => {
  it('ends the capture step without a "✓ Captured 0 pages" ahead of the error', async () => {
    // a port nothing listens on: open a server, note its port, close it
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const res = await runCli(['ideas', `http://127.0.0.1:${port}/`, '--pages', '1', '--no-browser', '--offline'], { cwd: tmpDir('sh-ideas-refused-') });
    expect(res.code).toBe(1);
    expect(res.stderr).not.toMatch(/Captured 0 page/);
    expect(res.stderr).toMatch(/Capture stopped after 0 of 1 page/);
    expect(res.stderr).toMatch(/error: connection refused by 127\.0\.0\.1:\d+/);
  });
});

describe.skipIf(!chromium)('in Chromium', () => {
  it('runs the offline audit by default when no model is configured, and writes the report', async () => {
    const dir = tmpDir('sh-ideas-cmd-');
    const res = await runCli(['ideas', `${srv.origin}/shoddy/`, '--pages', '3', '--max-ideas', '5'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('no model configured: running the offline CRO audit');
    const lines = res.stdout.split('\n');
    expect(lines[0]).toBe(`Experiment ideas for ${srv.origin}/shoddy/`);
    // --max-ideas 5 cut the list: the header says so and how to see them all
    const found = /^offline CRO audit: 5 of (\d+) ideas from 3 pages \(Chromium [\d.]+, desktop\) in [\d.]+ s$/.exec(lines[1] ?? '');
    expect(found, lines[1]).not.toBeNull();
    expect(Number(found?.[1])).toBeGreaterThan(5);
    expect(lines[2]).toBe(`(the best 5 by ICE score; --max-ideas ${found?.[1]} for all)`);
    expect(lines[4]).toMatch(/^ #\s+ICE\s+Idea\s+Page$/);
    const rows = lines.slice(5, 10).map((l) => /^\s*(\d+)\s+(\d+\.\d)\s+\S/.exec(l)?.slice(1));
    expect(rows.map((r) => r?.[0])).toEqual(['1', '2', '3', '4', '5']);
    const scores = rows.map((r) => Number(r?.[1]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // The shoddy pages are no taller than the screen: one screenshot each, not two identical ones.
    expect(res.stdout).toContain('Report: ideas/report.html and ideas/report.md (with ideas/ideas.json and 3 screenshots)');
    expect(fs.readFileSync(path.join(dir, 'ideas', 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
    // Pages behind the 404 links are skipped with a warning each.
    expect(res.stderr).toMatch(/warning: skipped .*\/shoddy\/buy\.html answered HTTP 404 Not Found/);

    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'ideas', 'ideas.json'), 'utf8'));
    expect(saved.mode).toBe('offline');
    expect(saved.experiments).toHaveLength(5);
    expect(saved.experiments.map((e: { ice: { score: number } }) => e.ice.score)).toEqual([...saved.experiments.map((e: { ice: { score: number } }) => e.ice.score)].sort((a, b) => b - a));
    const report = fs.readFileSync(path.join(dir, 'ideas', 'report.md'), 'utf8');
    expect(report).toMatch(/^# Experiment ideas for http:\/\/127\.0\.0\.1:\d+\/shoddy\/\n/);
    for (const heading of ['## The site', '## Ideas, ranked by ICE', '## Pages captured', '### 1. ']) expect(report).toContain(heading);
    const links = [...report.matchAll(/\]\((screenshots\/[^)]+)\)/g)].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThanOrEqual(3);
    for (const l of links) {
      const file = path.join(dir, 'ideas', l);
      expect(fs.existsSync(file), l).toBe(true);
      expect(jpegSize(fs.readFileSync(file)).width).toBe(1280);
    }
    for (const e of saved.experiments) expect(report).toContain(`### ${e.rank}. ${e.title}`);
  });
});
