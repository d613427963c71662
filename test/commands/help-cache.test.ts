/**
 * The help texts the binary prints without loading the CLI (src/commands/help-cache.ts): the
 * built cache says exactly what the live CLI from src/ says, for every command in the manifest,
 * and a cache older than, or of another size than, a file it depends on is not used.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cachedAnswer, helpKey, readHelpCache, type HelpCache } from '../../src/commands/help-cache.js';
import type { writeManifest as writeManifestType } from '../../src/commands/manifest.js';
import { COMMANDS } from '../../src/commands/index.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const dist = path.resolve(import.meta.dirname, '../../dist');
const built = path.join(dist, 'commands/help.json');
const off = { isTTY: false };

describe('the help cache of the build', () => {
  beforeAll(async () => {
    // As `npm run build` does after tsc (the suite's global setup runs tsc alone).
    const { writeManifest } = (await import(pathToFileURL(path.join(dist, 'commands/manifest.js')).href)) as { writeManifest: typeof writeManifestType };
    await writeManifest();
  });

  it('holds every command of the registry, and each text is the live help of src/ (top level, each command, version)', { timeout: 120_000 }, async () => {
    const cache = readHelpCache(built);
    expect(cache).not.toBeNull();
    const names = COMMANDS.map((e) => (typeof e === 'function' ? '' : e.name));
    expect(Object.keys(cache!.commands)).toEqual(names);
    const cwd = tmpDir();
    for (const argv of [['--help'], ['-h'], ['help'], ...names.flatMap((n) => [[n, '--help'], ['help', n]]), ['--version'], ['-V'], ['--json', '-v']]) {
      const live = await runCli(argv, { cwd });
      expect(live.code, argv.join(' ')).toBe(0);
      expect(cachedAnswer(argv, off, {}, built), argv.join(' ')).toBe(live.stdout);
    }
  });

  it('answers only at 80 columns: off a terminal without $COLUMNS (or 80), or an 80-column terminal', () => {
    expect(cachedAnswer(['--help'], off, { COLUMNS: '80' }, built)).not.toBeNull();
    expect(cachedAnswer(['--help'], { isTTY: true, columns: 80 }, {}, built)).not.toBeNull();
    expect(cachedAnswer(['--help'], off, { COLUMNS: '100' }, built)).toBeNull();
    expect(cachedAnswer(['--help'], { isTTY: true, columns: 120 }, {}, built)).toBeNull();
    // The version does not depend on the width.
    expect(cachedAnswer(['--version'], { isTTY: true, columns: 120 }, {}, built)).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('helpKey', () => {
  it('knows the plain forms only; everything else runs the CLI', () => {
    expect(helpKey(['--help'])).toEqual({ kind: 'top' });
    expect(helpKey(['help'])).toEqual({ kind: 'top' });
    expect(helpKey(['status', '-h'])).toEqual({ kind: 'command', name: 'status' });
    expect(helpKey(['help', 'seed'])).toEqual({ kind: 'command', name: 'seed' });
    expect(helpKey(['-V'])).toEqual({ kind: 'version' });
    expect(helpKey(['--version', '--json'])).toEqual({ kind: 'versionJson' });
    for (const argv of [[], ['status'], ['--help', 'status'], ['serve', 'keys', '--help'], ['--db', 'x', '--help'], ['--json', '--help'], ['--help', '--help'], ['--json', '--json']]) {
      expect(helpKey(argv), argv.join(' ')).toBeNull();
    }
  });

  it('an unknown command is not answered (the CLI suggests one)', () => {
    expect(cachedAnswer(['statsu', '--help'], off, {}, built)).toBeNull();
    expect(cachedAnswer(['help', 'constructor'], off, {}, built)).toBeNull();
  });
});

describe('a stale help cache is not used', () => {
  it('when a file it depends on is newer, or has another size (npm pack gives every file one date)', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'help.json');
    writeFile(dir, 'a.js', 'a()');
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(dir, 'a.js'), past, past);
    const cache: HelpCache = { files: { 'a.js': 3 }, top: 'TOP\n', commands: { a: 'A\n' }, version: '1.0.0\n', versionJson: '{}\n' };
    fs.writeFileSync(file, JSON.stringify(cache));
    expect(cachedAnswer(['--help'], off, {}, file)).toBe('TOP\n');
    expect(cachedAnswer(['a', '--help'], off, {}, file)).toBe('A\n');
    writeFile(dir, 'a.js', 'a(1)'); // rebuilt: another size
    fs.utimesSync(path.join(dir, 'a.js'), past, past);
    expect(cachedAnswer(['--help'], off, {}, file)).toBeNull();
    writeFile(dir, 'a.js', 'b()'); // the same size, written after the cache
    const future = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(dir, 'a.js'), future, future);
    expect(cachedAnswer(['--help'], off, {}, file)).toBeNull();
    fs.rmSync(path.join(dir, 'a.js'));
    expect(cachedAnswer(['--help'], off, {}, file)).toBeNull();
    expect(cachedAnswer(['--help'], off, {}, path.join(dir, 'missing.json'))).toBeNull();
    fs.writeFileSync(file, '{"files": {}'); // cut off
    expect(cachedAnswer(['--help'], off, {}, file)).toBeNull();
  });
});
