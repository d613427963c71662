import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { ProjectSpecSchema } from '../../src/ai/seed/schema.js';
import { validateProjectSpec } from '../../src/ai/seed/validate.js';

const SMALL = ['--users', '1500', '--days', '10', '--pre-days', '5'];
const PROMPT = 'Create a tech company made by evil villains whose clients are also villains';

describe('seed command', () => {
  it('--json prints the project, counts, experiments with true effects, gates and metrics', async () => {
    const cwd = tmpDir();
    const r = await runCli(['seed', PROMPT, '--offline', ...SMALL, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const j = r.json();
    expect(j.project).toEqual({ name: 'Evil Villain Cloud', description: expect.stringContaining('evil villains') });
    expect(j.source).toBe('offline');
    expect(j.domain).toBe('saas');
    expect(j.counts).toMatchObject({ users: 1500, gates: 4, dynamic_configs: 2, segments: 2, layers: 1, metrics: 7, experiments: 4, anomalies: 3 });
    expect(j.counts.exposures).toBeGreaterThan(1000);
    expect(j.counts.events).toBeGreaterThan(10000);
    expect(j.experiments).toHaveLength(4);
    const x = j.experiments[0];
    expect(x).toMatchObject({ name: 'evil_villain_guided_onboarding', control: 'Control', primary_metrics: ['docs_created', 'activation_funnel'], secondary_metrics: ['login:event_dau'] });
    expect(x.groups.map((g: { name: string; size: number }) => [g.name, g.size])).toEqual([
      ['Control', 50],
      ['Test', 50],
    ]);
    expect(x.true_effects).toContainEqual({ metric: 'docs_created', group: 'Test', segment: 'all', abs: expect.any(Number), rel: expect.any(Number) });
    expect(j.gates.map((g: { name: string }) => g.name)).toContain('enterprise_sso');
    expect(j.metrics).toContainEqual({ name: 'invite_rate', type: 'ratio', kind: 'ratio' });
    expect(j.push).toBeNull();
    // the store holds what was reported
    const q = await runCli(['query', "SELECT count(*) AS n FROM true_effects WHERE segment = 'all'", '--json'], { cwd });
    const reported = j.experiments.reduce((a: number, e: { true_effects: { segment: string }[] }) => a + e.true_effects.filter((t) => t.segment === 'all').length, 0);
    expect(q.json().rows[0].n).toBe(reported);
  });

  it('falls back to offline with a notice when no model is configured, and prints a human summary', async () => {
    const cwd = tmpDir();
    const r = await runCli(['seed', 'a mobile puzzle game', ...SMALL], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/No model configured .*offline/);
    expect(r.stderr).toMatch(/Domain pack: gaming/);
    expect(r.stderr).not.toMatch(/no keyword matched/);
    // no keyword matched: the fallback names --domain and its values
    const none = await runCli(['seed', 'a meditation app with a paywall experiment', ...SMALL], { cwd: tmpDir() });
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toMatch(/Domain pack: ecommerce \(no keyword matched; pick one with --domain ecommerce\|saas\|gaming\|media\|fintech\)/);
    expect(r.stdout).toMatch(/^Seeded "Mobile Games" \(offline, gaming, seed 42\)/);
    expect(r.stdout).toMatch(/mobile_starter_bundle: Control 50% \([\d,]+ units\), Test 50%/);
    expect(r.stdout).toMatch(/Injected anomalies:/);
    expect(r.stdout).toMatch(/Next:\n {2}statsig-hack analyze --experiment mobile_starter_bundle\n/);
  });

  it('refuses to replace a project without --force outside a terminal, and replaces it with --force', async () => {
    const cwd = tmpDir();
    expect((await runCli(['seed', 'shop', '--offline', ...SMALL], { cwd })).code).toBe(0);
    const before = (await runCli(['query', 'SELECT count(*) AS n, sum(value) AS v FROM events', '--json'], { cwd })).json().rows[0];
    const again = await runCli(['seed', 'bank', '--offline', ...SMALL, '--json'], { cwd });
    expect(again.code).toBe(1);
    expect(again.json().error).toMatchObject({ code: 'SEED_EXISTS', hint: expect.stringContaining('--force') });
    // Counts with separators, as everywhere else in one run.
    expect(again.json().error.message).toMatch(/\(1,500 users, [\d,]+ events, \d+ entities\)/);
    expect((await runCli(['query', 'SELECT count(*) AS n, sum(value) AS v FROM events', '--json'], { cwd })).json().rows[0]).toEqual(before);
    const forced = await runCli(['seed', 'bank', '--offline', ...SMALL, '--force', '--json'], { cwd });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json().domain).toBe('fintech');
    const status = await runCli(['status', '--json'], { cwd });
    expect(status.json().project.name).toBe('Nova Bank');
  });

  it('is deterministic by --seed', async () => {
    const a = await runCli(['seed', 'shop', '--offline', ...SMALL, '--seed', '9', '--json'], { cwd: tmpDir() });
    const b = await runCli(['seed', 'shop', '--offline', ...SMALL, '--seed', '9', '--json'], { cwd: tmpDir() });
    const c = await runCli(['seed', 'shop', '--offline', ...SMALL, '--seed', '10', '--json'], { cwd: tmpDir() });
    const strip = (j: Record<string, unknown>) => ({ ...j, db: null });
    expect(strip(a.json())).toEqual(strip(b.json()));
    expect(c.json().counts.events).not.toBe(a.json().counts.events);
  });

  it('--out writes a valid project spec', async () => {
    const cwd = tmpDir();
    const r = await runCli(['seed', 'streaming service', '--offline', ...SMALL, '--out', 'spec/project.json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const spec = ProjectSpecSchema.parse(JSON.parse(fs.readFileSync(path.join(cwd, 'spec/project.json'), 'utf8')));
    expect(validateProjectSpec(spec)).toEqual([]);
    expect(spec.experiments[0]?.name).toBe('streaming_autoplay_next'); // not `service_`: a generic word is no theme
  });

  it('rejects bad options with exit code 2', async () => {
    const cwd = tmpDir();
    expect((await runCli(['seed', 'x', '--offline', '--users', '0'], { cwd })).code).toBe(2);
    expect((await runCli(['seed', 'x', '--offline', '--days', 'many'], { cwd })).code).toBe(2);
    expect((await runCli(['seed', 'x', '--offline', '--start', '2025-13-45'], { cwd })).code).toBe(2);
    expect((await runCli(['seed', 'x', '--offline', '--dry-run'], { cwd })).code).toBe(2);
    expect((await runCli(['seed', 'x', '--offline', '--domain', 'cooking'], { cwd })).code).toBe(2);
    expect(fs.existsSync(path.join(cwd, '.statsig-hack', 'project.duckdb'))).toBe(false);
  });

  it('keeps secrets out of the output', async () => {
    const cwd = tmpDir();
    const env = baseEnv({ STATSIG_CONSOLE_API_KEY: 'console-abcdefghijklmnop' });
    const r = await runCli(['seed', 'shop', '--offline', ...SMALL, '--push', '--dry-run'], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('abcdefghijklmnop');
    expect(r.stdout).toContain('STATSIG-API-KEY: ***');
  });
});
