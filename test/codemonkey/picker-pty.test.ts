/**
 * The codemonkey picker on a real pseudo-terminal (the built binary under python3's pty, 80x24):
 * a long diff is paged so the header, the options and the cursor stay on screen; Enter applies
 * the highlighted option; after q the run's summary starts on a line of its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { KEYS, spawnPty } from '../support/pty.js';
import { MATH_ADD, fileOf, git, makeRepo, options } from './helpers.js';

const servers: OpenAIServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const COLS = 80;
const ROWS = 24;
const LONG = Array.from({ length: 80 }, (_, i) => `// note ${i + 1}: a long comment line that makes the diff far taller than the terminal`).join('\n');

describe('codemonkey picker on a 24-row terminal (pty)', () => {
  it('pages a long diff, keeps the options and cursor visible, applies with Enter and ends cleanly after q', { timeout: 90_000 }, async () => {
    const dir = makeRepo();
    const s = await startOpenAIServer((req) =>
      fileOf(req) === 'src/math.ts'
        ? options([
            { title: 'Annotate math at length', rationale: 'Long notes help.', edits: [{ search: MATH_ADD, replace: `${LONG}\n${MATH_ADD}` }] },
            { title: 'Document add', rationale: 'Readers see what add returns.', edits: [{ search: MATH_ADD, replace: `/** Adds two numbers. */\n${MATH_ADD}` }] },
            { title: 'Rename the helpers', risk: 'high', edits: [{ search: 'export function sum(', replace: 'export function total(' }] },
          ])
        : options([{ title: 'Document capitalize', edits: [{ search: 'export function capitalize', replace: '/** Capitalizes. */\nexport function capitalize' }] }]),
    );
    servers.push(s);
    const t = spawnPty(['codemonkey', 'document the math helpers', '--files', 'src/math.ts,src/strings.ts', '--check', 'node check.js'], {
      cwd: dir,
      cols: COLS,
      rows: ROWS,
      env: { OPENAI_API_KEY: 'sk-test-0123456789', OPENAI_BASE_URL: s.url },
      timeoutMs: 80_000,
    });
    await t.waitFor('diff lines 1-');
    await new Promise((r) => setTimeout(r, 150));
    let screen = t.screen().rows;
    // Header, every option with the cursor on the first, the rationale, a page of the diff, the legend.
    expect(screen).toContain('src/math.ts  file 1/2');
    expect(screen).toContain('❯ 1. Annotate math at length [low risk]');
    expect(screen).toContain('  2. Document add [low risk]');
    expect(screen).toContain('  3. Rename the helpers [high risk]');
    expect(screen).toContain('Long notes help.');
    expect(screen).toContain('diff lines 1-14 of 87 · Space/PgDn more');
    expect(screen[ROWS - 2]).toBe('↑/↓ choose · Enter apply · s skip this file · q stop');
    // ink never fell back to clearing the screen (a frame as tall as the terminal).
    expect(t.raw()).not.toContain('\u001b[2J');
    expect(t.screen().wraps).toBe(0);

    t.send(KEYS.space);
    await t.waitFor('diff lines 15-28 of 87');
    await new Promise((r) => setTimeout(r, 150));
    screen = t.screen().rows;
    expect(screen).toContain('src/math.ts  file 1/2');
    expect(screen).toContain('❯ 1. Annotate math at length [low risk]');
    expect(screen.some((l) => l.startsWith('+ // note 14:'))).toBe(true);

    t.send(KEYS.down);
    await t.waitFor('❯ 2. Document add');
    t.send(KEYS.enter);
    await t.waitFor('src/strings.ts  file 2/2');
    await new Promise((r) => setTimeout(r, 150));
    t.send('q');
    expect(await t.exit).toBe(0);

    const end = t.screen();
    const all = [...end.scrollback, ...end.rows];
    // Each picker left one line saying what was chosen, and the log goes on after it.
    const out = t.output();
    expect(out).toMatch(/src\/math\.ts: chose 2\. Document add\n {2}applying Document add\n/);
    const stopped = all.indexOf('src/strings.ts: stopped here (q)');
    expect(stopped).toBeGreaterThanOrEqual(0);
    expect(all[stopped + 1]).toMatch(/^codemonkey \d{8}-\d{6}-[0-9a-f]{4}: "document the math helpers"/);
    // The summary starts on a line of its own, not on the key legend's line.
    expect(all.filter((l) => l.includes('q stop'))).toEqual([]);
    expect(all.some((l) => /^codemonkey \d{8}-\d{6}-[0-9a-f]{4}: "document the math helpers"/.test(l))).toBe(true);
    expect(all.some((l) => l.startsWith('status: stopped by you'))).toBe(true);
    expect(git(dir, 'log', '-1', '--format=%s')).toBe('codemonkey: Document add');
  });

  it('on SIGTERM while the picker is open: the picker lets go of the terminal and the run ends as interrupted', { timeout: 90_000 }, async () => {
    const dir = makeRepo();
    const s = await startOpenAIServer(() => options([{ title: 'Document add', edits: [{ search: MATH_ADD, replace: `/** Adds two numbers. */\n${MATH_ADD}` }] }]));
    servers.push(s);
    const t = spawnPty(['codemonkey', 'document add', '--files', 'src/math.ts', '--check', 'node check.js'], {
      cwd: dir,
      cols: COLS,
      rows: ROWS,
      env: { OPENAI_API_KEY: 'sk-test-0123456789', OPENAI_BASE_URL: s.url },
      timeoutMs: 60_000,
    });
    await t.waitFor('q stop');
    t.kill(); // SIGTERM to the relay, which forwards it to the CLI
    expect(await t.exit).toBe(143);
    const all = t.screen();
    const text = [...all.scrollback, ...all.rows].join('\n');
    expect(text).toContain('error: interrupted: the work tree was restored');
    expect(text).toContain('status: interrupted (SIGTERM)\n');
    expect(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });
});
