import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSyntaxError, lineColumn, mayHaveConfig, pick, resolveSettings, DEFAULT_DB } from '../../src/core/config.js';
import { didYouMean } from '../../src/core/errors.js';
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

describe('config file mistakes say where and what', () => {
  it('a JSON syntax error names the file, the line and the column', async () => {
    const cwd = tmpDir();
    writeFile(cwd, 'statsig-hack.config.json', '{\n  "db": "x.duckdb",\n  "llm": { "model": "gpt-4.1" ,}\n}\n');
    const r = await runCli(['status'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: could not parse the config file statsig-hack\.config\.json:3:32: Expected double-quoted property name\n/);
    expect(r.stderr).toContain('hint: fix line 3 of statsig-hack.config.json');
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    const j = await runCli(['status', '--json'], { cwd });
    expect(j.json().error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(':3:32:') });
  });

  it('a cut-off JSON file points at its end; a YAML error at its line', async () => {
    const cwd = tmpDir();
    writeFile(cwd, '.statsig-hackrc.json', '{\n  "db": ');
    expect((await runCli(['status'], { cwd })).stderr).toMatch(/\.statsig-hackrc\.json:2:8: Unexpected end of JSON input/);
    const yaml = tmpDir();
    writeFile(yaml, '.statsig-hackrc.yaml', 'db: [x\n  llm: 3\n');
    expect((await runCli(['status'], { cwd: yaml })).stderr).toMatch(/could not parse the config file \.statsig-hackrc\.yaml:2:6: missed comma/);
  });

  it('an extension-less rc that starts with { gets JSON\'s error, not YAML\'s', async () => {
    const cwd = tmpDir();
    writeFile(cwd, '.statsig-hackrc', '{\n  "db": "x.duckdb"\n  "llm": {}\n}\n');
    const r = await runCli(['status'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not parse the config file \.statsig-hackrc:3:3: Expected ',' or '}' after property value/);
    expect(r.stderr).not.toContain('flow collection');
    // A YAML rc still gets the YAML reader's words.
    const yaml = tmpDir();
    writeFile(yaml, '.statsig-hackrc', 'db: [x\n  llm: 3\n');
    expect((await runCli(['status'], { cwd: yaml })).stderr).toMatch(/\.statsig-hackrc:2:6: missed comma/);
  });

  it('jsonSyntaxError and lineColumn locate offsets', () => {
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(jsonSyntaxError('{"a": 1}')).toBeNull();
    expect(jsonSyntaxError('{"a": 1,\n "b" 2}')).toMatchObject({ line: 2, column: 6 });
  });

  it('an unknown key gets "did you mean" and the allowed keys, at any depth', async () => {
    const cwd = tmpDir();
    writeFile(cwd, 'statsig-hack.config.json', JSON.stringify({ dbb: 'typo.duckdb' }));
    const top = await runCli(['init'], { cwd });
    expect(top.code).toBe(1);
    expect(top.stderr).toContain('unknown key in statsig-hack.config.json: dbb (did you mean "db"?)');
    expect(top.stderr).toContain('allowed keys: db, llm, browser, forecast, codemonkey');
    writeFile(cwd, 'statsig-hack.config.json', JSON.stringify({ llm: { modle: 'x' } }));
    const nested = await runCli(['init', '--json'], { cwd });
    expect(nested.json().error).toMatchObject({ code: 'CONFIG_INVALID', message: 'unknown key in statsig-hack.config.json: llm.modle (did you mean "llm.model"?)' });
    expect(nested.json().error.hint).toContain('allowed keys in llm: baseURL, model, models');
    writeFile(cwd, 'statsig-hack.config.json', JSON.stringify({ telemetry: true }));
    const far = await runCli(['init'], { cwd });
    expect(far.stderr).toContain('unknown key in statsig-hack.config.json: telemetry\n');
  });

  it('a nested unknown key is named as unknown even when a required key is then missing', async () => {
    const cwd = tmpDir();
    writeFile(cwd, '.statsig-hackrc', JSON.stringify({ engine: { typ: 'duckdb' } }));
    const r = await runCli(['status', '--json'], { cwd });
    expect(r.json().error).toMatchObject({ code: 'CONFIG_INVALID', message: 'unknown key in .statsig-hackrc: engine.typ (did you mean "engine.type"?)' });
    expect(r.json().error.hint).toContain('allowed keys in engine: type, host');
  });

  it('a bad enum value gets the closest allowed value and the list', async () => {
    const cwd = tmpDir();
    writeFile(cwd, '.statsig-hackrc', JSON.stringify({ engine: { type: 'duckdbb' } }));
    const r = await runCli(['status'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid config in .statsig-hackrc: engine.type: "duckdbb" is not allowed (did you mean "duckdb"?)');
    expect(r.stderr).toContain('hint: engine.type is one of: duckdb, postgres, clickhouse');
    writeFile(cwd, '.statsig-hackrc', JSON.stringify({ engine: { type: 'oracle' } }));
    const far = await runCli(['status'], { cwd });
    expect(far.stderr).toContain('engine.type: "oracle" is not allowed\n');
  });

  it('didYouMean suggests only close names', () => {
    expect(didYouMean('modle', ['model', 'models', 'baseURL'])).toBe('model');
    expect(didYouMean('DB', ['db', 'llm'])).toBe('db');
    expect(didYouMean('telemetry', ['db', 'llm', 'browser'])).toBeUndefined();
  });

  it('mayHaveConfig finds what cosmiconfig would search, and stops at the project root', () => {
    const root = tmpDir();
    writeFile(root, 'package.json', JSON.stringify({ name: 'x' }));
    const sub = path.join(root, 'a', 'b');
    fs.mkdirSync(sub, { recursive: true });
    expect(mayHaveConfig(sub)).toBe(false);
    writeFile(root, 'a/.statsig-hackrc.yml', 'db: x\n');
    expect(mayHaveConfig(sub)).toBe(true);
    const pkgOnly = tmpDir();
    writeFile(pkgOnly, 'package.json', JSON.stringify({ name: 'x', 'statsig-hack': { db: 'p.duckdb' } }));
    expect(mayHaveConfig(pkgOnly)).toBe(true);
    // Above the project root (the folder with package.json) nothing counts.
    const outer = tmpDir();
    writeFile(outer, 'statsig-hack.config.json', '{}');
    writeFile(outer, 'proj/package.json', '{}');
    expect(mayHaveConfig(path.join(outer, 'proj'))).toBe(false);
  });

  it('package.json#statsig-hack is still read (the fast path does not skip it)', async () => {
    const cwd = tmpDir();
    writeFile(cwd, 'package.json', JSON.stringify({ name: 'x', 'statsig-hack': { db: 'from-pkg.duckdb' } }));
    expect((await runCli(['init', '--json'], { cwd })).json().db).toBe(path.join(cwd, 'from-pkg.duckdb'));
  });
});
