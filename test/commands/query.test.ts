/**
 * query: bounded by default (the limit is pushed into SQL and the result read in chunks), every
 * row streamed with --all / --format, and the read-only sandbox unchanged.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { limitedSql, streamQuery } from '../../src/store/query.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const ROWS = 250_000;
let cwd: string;

beforeAll(async () => {
  cwd = tmpDir();
  const store = await Store.open(path.join(cwd, '.statsig-hack', 'project.duckdb'), { create: true });
  await store.run(`INSERT INTO events (unit_id, event, ts, value)
    SELECT 'u' || (i % 5000), 'purchase', TIMESTAMP '2026-10-01' + INTERVAL (i % 1209600) SECOND, (i % 1000) / 10.0 FROM range(${ROWS}) r(i)`);
  store.close();
}, 60_000);

describe('query: bounded by default', () => {
  it('prints the first 200 rows of a large table and says how to get the rest', async () => {
    const r = await runCli(['query', 'SELECT * FROM events'], { cwd });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    // header + rule + 200 rows + the footer
    expect(lines).toHaveLength(203);
    expect(lines[0]).toMatch(/^unit_id\s+event\s+ts\s+value/);
    expect(lines.at(-1)).toBe('(first 200 rows shown; there are more: --all or --format csv|ndjson streams every row, --limit n shows n)');
  });

  it('reads only the rows it prints (a row past the limit is never computed)', async () => {
    // Evaluating row 100,000 raises an error: the old code materialised the whole result and failed.
    const sql = "SELECT i, CASE WHEN i < 100000 THEN i ELSE error('read past the limit') END AS x FROM range(300000) t(i)";
    const r = await runCli(['query', sql, '--limit', '50'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(53);
    const all = await runCli(['query', sql, '--all', '--format', 'ndjson'], { cwd });
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(/^error: query failed: .*read past the limit/);
  });

  it('pushes the limit into a single SELECT and streams in chunks', async () => {
    expect(limitedSql('SELECT 1 -- note\n;  ', 10)).toBe('SELECT * FROM (\nSELECT 1 -- note\n) AS __query LIMIT 10');
    const store = await Store.open(path.join(cwd, '.statsig-hack', 'project.duckdb'), { readOnly: true, sandbox: true });
    try {
      const limited = await streamQuery(store, 'SELECT * FROM events ORDER BY value DESC;', { limit: 201 });
      expect(limited.limitPushed).toBe(true);
      let n = 0;
      for await (const b of limited.batches) n += b.length;
      expect(n).toBe(201);
      const all = await streamQuery(store, 'SELECT unit_id, value FROM events');
      expect(all.limitPushed).toBe(false);
      let total = 0;
      let largest = 0;
      for await (const b of all.batches) {
        total += b.length;
        largest = Math.max(largest, b.length);
      }
      expect(total).toBe(ROWS);
      expect(largest).toBeLessThanOrEqual(2048);
    } finally {
      store.close();
    }
  });

  it('--json holds at most --limit rows and marks a cut result; --json --all is refused', async () => {
    const r = await runCli(['query', 'SELECT * FROM events', '--json', '--limit', '3'], { cwd });
    expect(r.code).toBe(0);
    const doc = r.json();
    expect(doc.rows).toHaveLength(3);
    expect(doc).toMatchObject({ columns: ['unit_id', 'event', 'ts', 'value', 'metadata'], truncated: true, limit: 3 });
    const small = await runCli(['query', 'SELECT 1 AS a', '--json'], { cwd });
    expect(small.json()).toEqual({ columns: ['a'], rows: [{ a: 1 }] });
    const refused = await runCli(['query', 'SELECT * FROM events', '--json', '--all'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.json().error.hint).toContain('--format ndjson --all');
  });
});

describe('query: streaming every row', () => {
  it('--format ndjson --all streams all rows, one object per line', async () => {
    const r = await runCli(['query', 'SELECT unit_id, value FROM events', '--format', 'ndjson', '--all'], { cwd });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS);
    expect(JSON.parse(lines[0] as string)).toEqual({ unit_id: 'u0', value: 0 });
    expect(JSON.parse(lines.at(-1) as string)).toHaveProperty('unit_id');
  });

  it('--format ndjson encodes every type as valid JSON', async () => {
    const sql = `SELECT 'say "hi" \\ there' AS s, chr(1) || 'x' AS ctl, '日本 ü' AS u, [1, 2] AS l, {'x': 1, 'y': 'z'} AS st,
      'NaN'::DOUBLE AS nan, 'Infinity'::DOUBLE AS inf, 2.5 AS d, 42 AS i, 12345678901234567890::HUGEINT AS big,
      TIMESTAMP '2026-10-01 12:00:00' AS t, DATE '2026-10-02' AS day, NULL AS n, true AS b`;
    const r = await runCli(['query', sql, '--format', 'ndjson'], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      s: 'say "hi" \\ there',
      ctl: '\u0001x',
      u: '日本 ü',
      l: [1, 2],
      st: { x: 1, y: 'z' },
      nan: null,
      inf: null,
      d: 2.5,
      i: 42,
      big: '12345678901234567890',
      t: '2026-10-01T12:00:00.000Z',
      day: '2026-10-02',
      n: null,
      b: true,
    });
  });

  it('a DATE prints as its day in the table, CSV and JSON; a TIMESTAMP keeps its time', async () => {
    const sql = "SELECT DATE '2026-09-20' AS d, TIMESTAMP '2026-09-20 13:45:00' AS t, [DATE '2026-01-02', NULL] AS l, {'day': DATE '2026-03-04'} AS st, NULL::DATE AS n";
    const env = baseEnv({ TZ: 'America/Los_Angeles' });
    const table = await runCli(['query', sql], { cwd, env });
    expect(table.code).toBe(0);
    const row = (table.stdout.split('\n')[2] ?? '').trim();
    expect(row.startsWith('2026-09-20  ')).toBe(true);
    expect(row).toContain('2026-09-20 13:45:00');
    expect(table.stdout).not.toContain('2026-09-20 00:00:00');
    const csv = await runCli(['query', sql, '--format', 'csv'], { cwd, env });
    expect(csv.stdout.split('\n')[1]).toMatch(/^2026-09-20,2026-09-20T13:45:00\.000Z,/);
    const json = await runCli(['query', sql, '--json'], { cwd, env });
    expect(JSON.parse(json.stdout).rows).toEqual([{ d: '2026-09-20', t: '2026-09-20T13:45:00.000Z', l: ['2026-01-02', null], st: { day: '2026-03-04' }, n: null }]);
    // The streamed path (--all) converts the same way.
    const streamed = await runCli(['query', "SELECT DATE '2026-01-01' + i::INTEGER AS d FROM range(12000) t(i)", '--format', 'csv'], { cwd, env });
    const lines = streamed.stdout.trimEnd().split('\n');
    expect(lines[1]).toBe('2026-01-01');
    expect(lines.at(-1)).toBe('2058-11-08');
  });

  it('--format csv streams every row with a header and quotes where needed', async () => {
    const r = await runCli(['query', `SELECT 'a,b' AS s, 'say "hi"' AS q, NULL AS n, 2.5 AS x UNION ALL SELECT 'c', 'd', NULL, 3`, '--format', 'csv'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('s,q,n,x\n"a,b","say ""hi""",,2.5\nc,d,,3\n');
    const many = await runCli(['query', 'SELECT value FROM events', '--format', 'csv'], { cwd });
    expect(many.stdout.trimEnd().split('\n')).toHaveLength(ROWS + 1);
  });

  it('--format json writes one array; --limit bounds a stream and says so on stderr', async () => {
    const r = await runCli(['query', 'SELECT unit_id FROM events', '--format', 'json', '--limit', '2'], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(2);
    expect(r.stderr).toContain('stopped after 2 rows (--limit)');
    const empty = await runCli(['query', 'SELECT 1 AS a WHERE false', '--format', 'json'], { cwd });
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });

  it('--all --format table prints every row with one header', async () => {
    const r = await runCli(['query', 'SELECT i FROM range(5000) t(i)', '--all'], { cwd });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => /^\s*i$/.test(l))).toHaveLength(1);
    expect(lines).toHaveLength(5000 + 3);
    expect(lines.at(-1)).toBe('(5,000 rows)');
  });

  it('a syntax error is one line starting with DuckDB\'s own message', async () => {
    const r = await runCli(['query', 'SELEC 1'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: query failed: Parser Error: syntax error at or near "SELEC"\n {2}hint: /);
  });

  it('refuses contradictory flags with a usage error', async () => {
    const r = await runCli(['query', 'SELECT 1', '--all', '--limit', '5'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--all and --limit contradict each other');
  });
});

describe('query: memory stays flat', () => {
  /** The built CLI in a child with a small V8 heap (the old code died there with an OOM and a native stack). */
  function smallHeap(argv: string[]): { code: number; bytes: number; stderr: string } {
    const script = `import { run } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../dist/cli.js'))};
      let bytes = 0; let stderr = '';
      const out = { write: (s) => { bytes += s.length; return true; } };
      const err = { write: (s) => { stderr += s; return true; } };
      const code = await run(${JSON.stringify(argv)}, { stdout: out, stderr: err, stdin: { isTTY: false }, cwd: ${JSON.stringify(cwd)}, env: { CI: 'true' } });
      process.stdout.write(JSON.stringify({ code, bytes, stderr }));`;
    const raw = execFileSync(process.execPath, ['--max-old-space-size=48', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    return JSON.parse(raw) as { code: number; bytes: number; stderr: string };
  }

  it('prints the first rows and streams every row of a large table with a 48 MB heap', () => {
    const head = smallHeap(['query', 'SELECT * FROM events, range(4) t(k)']);
    expect(head).toMatchObject({ code: 0, stderr: '' });
    // One million rows (250,000 x 4) of about 110 bytes each: far more than the heap could hold.
    const all = smallHeap(['query', 'SELECT * FROM events, range(4) t(k)', '--format', 'ndjson', '--all']);
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    expect(all.bytes).toBeGreaterThan(100_000_000);
  }, 120_000);
});

describe('query: the read-only sandbox holds on the streaming path', () => {
  const attacks: [string, RegExp][] = [
    ["SELECT * FROM read_csv('/etc/passwd')", /disabled|Permission/i],
    ["COPY (SELECT 1) TO 'out.csv'", /disabled|read-only|Permission/i],
    ['DELETE FROM events', /read-only/i],
    ["SELECT 1; COPY (SELECT 1) TO 'out2.csv'", /disabled|read-only|Permission/i],
    ["ATTACH 'other.duckdb' AS o", /disabled|read-only|Permission/i],
    ["SET enable_external_access = true", /external access|cannot change|disabled|Permission/i],
  ];
  for (const [sql, why] of attacks) {
    it(`refuses ${sql}`, async () => {
      writeFile(cwd, 'keep.txt', 'x');
      const r = await runCli(['query', sql, '--all', '--format', 'csv'], { cwd });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: query failed: /);
      expect(r.stderr).toMatch(why);
    });
  }
});
