import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tmpDir, writeFile } from '../support/tmp.js';

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../../bin/statsig-hack.js');

async function cli(args: string[], cwd: string) {
  try {
    const r = await exec(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env.PATH, CI: 'true', FORCE_COLOR: '0' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('the built binary', () => {
  it('lists every command in --help and prints the version', async () => {
    const cwd = tmpDir();
    const help = await cli(['--help'], cwd);
    expect(help.code).toBe(0);
    for (const c of ['init', 'import', 'query', 'status']) expect(help.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect((await cli(['--version'], cwd)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('init, import and query in a temp dir with plain output', async () => {
    const cwd = tmpDir();
    expect((await cli(['init'], cwd)).stdout).toContain('Created the project store');
    writeFile(cwd, 'x.csv', 'unit_id,experiment,group_name,first_exposure\nu1,e1,control,2026-10-01\nu2,e1,test,2026-10-01\n');
    expect((await cli(['import', 'x.csv', '--into', 'exposures'], cwd)).code).toBe(0);
    const q = await cli(['query', 'SELECT group_name, count(*) AS n FROM exposures GROUP BY 1 ORDER BY 1', '--json'], cwd);
    expect(JSON.parse(q.stdout)).toEqual({ columns: ['group_name', 'n'], rows: [{ group_name: 'control', n: 1 }, { group_name: 'test', n: 1 }] });
    const bad = await cli(['query', 'SELEC 1'], cwd);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: query failed: Parser Error/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
