import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pick, resolveSettings, DEFAULT_DB } from '../../src/core/config.js';
import { runCli, baseEnv } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

describe('config precedence: flag > env > config file > default', () => {
  it('pick() takes the strongest defined source', () => {
    expect(pick('f', 'e', 'c', 'd')).toEqual({ value: 'f', source: 'flag' });
    expect(pick(undefined, 'e', 'c', 'd')).toEqual({ value: 'e', source: 'env' });
    expect(pick(undefined, '', 'c', 'd')).toEqual({ value: 'c', source: 'config' });
    expect(pick(undefined, undefined, undefined, 'd')).toEqual({ value: 'd', source: 'default' });
  });

  it('resolveSettings resolves the store path against cwd', () => {
    const s = resolveSettings('/work/x', {}, {}, {});
    expect(s.db).toEqual({ value: path.join('/work/x', DEFAULT_DB), source: 'default' });
    expect(s.llmConfigured).toBe(false);
    expect(resolveSettings('/w', {}, { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }, {}).llmConfigured).toBe(true);
  });

  it('applies each layer through the real CLI (init --json reports the store it used)', async () => {
    const cwd = tmpDir();
    writeFile(cwd, 'statsig-hack.config.json', JSON.stringify({ db: 'from-config.duckdb' }));
    const dbOf = async (argv: string[], env = baseEnv()) => (await runCli(['init', '--json', ...argv], { cwd, env })).json().db as string;

    expect(await dbOf([])).toBe(path.join(cwd, 'from-config.duckdb'));
    expect(await dbOf([], baseEnv({ STATSIG_HACK_DB: 'from-env.duckdb' }))).toBe(path.join(cwd, 'from-env.duckdb'));
    expect(await dbOf(['--db', 'from-flag.duckdb'], baseEnv({ STATSIG_HACK_DB: 'from-env.duckdb' }))).toBe(path.join(cwd, 'from-flag.duckdb'));

    const bare = tmpDir();
    const r = await runCli(['init', '--json'], { cwd: bare });
    expect(r.json().db).toBe(path.join(bare, DEFAULT_DB));
  });

  it('reads .statsig-hackrc and an explicit --config file', async () => {
    const cwd = tmpDir();
    writeFile(cwd, '.statsig-hackrc.json', JSON.stringify({ db: 'rc.duckdb' }));
    writeFile(cwd, 'other/conf.json', JSON.stringify({ db: 'explicit.duckdb' }));
    expect((await runCli(['init', '--json'], { cwd })).json().db).toBe(path.join(cwd, 'rc.duckdb'));
    expect((await runCli(['init', '--json', '--config', 'other/conf.json'], { cwd })).json().db).toBe(path.join(cwd, 'explicit.duckdb'));
  });

  it('rejects an invalid config with the key that is wrong', async () => {
    const cwd = tmpDir();
    writeFile(cwd, 'statsig-hack.config.json', JSON.stringify({ llm: { timeoutMs: -5 } }));
    const r = await runCli(['init'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid config in statsig-hack.config.json: llm.timeoutMs');
    writeFile(cwd, 'statsig-hack.config.json', JSON.stringify({ dbb: 'typo' }));
    const typo = await runCli(['init', '--json'], { cwd });
    expect(typo.json().error.code).toBe('CONFIG_INVALID');
  });

  it('names a --config file that does not exist', async () => {
    const cwd = tmpDir();
    const r = await runCli(['init', '--config', 'missing.json'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('config file not found: missing.json');
  });
});
