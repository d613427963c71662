/** Unit tests of the safety pieces: stripControl, secret env detection, path inspection, size limit, restore. */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasControl, oneLineSafe, showControl, stripControl } from '../../src/core/sanitize.js';
import { isSecretEnv, scrubCheckEnv } from '../../src/ai/codemonkey/check.js';
import { ChangeTracker, inspectPath, planEdits, sizeProblem } from '../../src/ai/codemonkey/edits.js';
import { formatBudgetUsd, formatUsd } from '../../src/ui/codemonkey.js';
import { tmpDir } from '../support/tmp.js';

describe('stripControl', () => {
  it('removes CSI, OSC (titles, OSC 52 clipboard), DCS/APC strings, two-byte escapes, C1 forms and bidi controls', () => {
    expect(stripControl('\u001b]0;pwned\u0007Fix add\u001b[2J')).toBe('Fix add');
    expect(stripControl('a\u001b]52;c;Y3VybA==\u001b\\b')).toBe('ab');
    expect(stripControl('a\u001bPq#0;1;2\u001b\\b\u001b_apc\u009cc')).toBe('abc');
    expect(stripControl('a\u001bcb\u001b(Bc\u001b7d')).toBe('abcd');
    expect(stripControl('a\u009b31mb\u009d0;t\u0007c\u0085d')).toBe('abcd');
    expect(stripControl('x\u202eevil\u202cy\u2066z')).toBe('xevilyz');
    expect(stripControl('bell\u0007 del\u007f nul\u0000 bs\b')).toBe('bell del nul bs');
    expect(stripControl('an unterminated \u001b]0;title to the end')).toBe('an unterminated ');
  });

  it('keeps tabs and newlines (CR LF becomes LF, a lone CR goes), or flattens to one line', () => {
    expect(stripControl('a\tb\r\nc\rd')).toBe('a\tb\ncd');
    expect(stripControl('a\n\n b\tc', { newlines: false })).toBe('a b c');
    expect(oneLineSafe('\u001b[1mtitle\u001b[0m\nmore', 8)).toBe('title m…');
    expect(hasControl('plain\r\ntext')).toBe(false);
    expect(hasControl('x\u001b[2J')).toBe(true);
  });

  it('never leaves an ESC, a C1 control or a BEL, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('\u001b', '[', ']', '\\', '\u0007', '\u009b', '\u009d', '\u009c', 'P', '0', ';', 'a', 'm', '\n', '\r') }), (s) => {
        // eslint-disable-next-line no-control-regex
        expect(stripControl(s)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('showControl makes escapes visible instead', () => {
    expect(showControl('a\u001b[31mb\u0007\u202e\r\n')).toBe('a\\x1b[31mb\\x07\\u{202e}\n');
  });
});

describe('secrets in the check environment', () => {
  it('by name (KEY, TOKEN, SECRET, PASSWORD, CREDENTIAL, AUTH, …) but not PWD, AUTHOR or MONKEY', () => {
    for (const name of ['OPENAI_KEY', 'openai_api_key', 'APIKEY', 'GITHUB_TOKEN', 'MY_SECRET', 'PGPASSWORD', 'DB_PASSWD', 'GPG_PASSPHRASE', 'GOOGLE_CREDENTIALS', 'NPM_AUTH', 'MYSQL_PWD', 'SESSION_COOKIE', 'OPENAI_BASE_URL']) {
      expect(isSecretEnv(name, 'v'), name).toBe(true);
    }
    for (const name of ['PATH', 'HOME', 'PWD', 'OLDPWD', 'GIT_AUTHOR_NAME', 'CODEMONKEY_MODE', 'XKB_KEYMAP', 'KEYBOARD', 'NODE_OPTIONS', 'DATABASE_HOST']) {
      expect(isSecretEnv(name, 'v'), name).toBe(false);
    }
  });

  it('by value: keys and URLs that carry credentials', () => {
    for (const value of [
      'sk-live-abcdefghijkl',
      'ghp_abcdefghijklmnopqrstuvwxyz01',
      'github_pat_abcdefghijklmnopqrstu',
      'xoxb-1234567890-abcdef',
      'AKIAABCDEFGHIJKLMNOP',
      'glpat-abcdefghijklmnopqrst',
      'console-abcdefghijklmnopqr',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig',
      '-----BEGIN RSA PRIVATE KEY-----\nMII',
      'Bearer abcdefghijkl',
      'postgres://u:pass@db:5432/x',
      'https://user:tok@github.com/o/r.git',
    ]) {
      expect(isSecretEnv('SOME_SETTING', value), value).toBe(true);
    }
    for (const value of ['https://user@example.com', 'ssh://git@github.com/o/r', 'sk-short', '/usr/bin:/bin', 'http://localhost:8080']) {
      expect(isSecretEnv('SOME_SETTING', value), value).toBe(false);
    }
  });

  it('lists the withheld names, sorted, and turns colour off', () => {
    expect(scrubCheckEnv({ PATH: '/bin', Z_TOKEN: 't', A_URL: 'mysql://a:b@h', KEEP: 'k' })).toEqual({
      env: { PATH: '/bin', KEEP: 'k', NO_COLOR: '1', FORCE_COLOR: '0' },
      withheld: ['A_URL', 'Z_TOKEN'],
    });
  });
});

describe('inspectPath', () => {
  it('looks at each component with lstat: links (dangling too), folders, special files, files used as folders', () => {
    const root = fs.realpathSync(tmpDir('cm-inspect-'));
    fs.mkdirSync(path.join(root, 'src'));
    fs.writeFileSync(path.join(root, 'src/a.ts'), 'x');
    fs.symlinkSync('../nowhere.js', path.join(root, 'dangling.js'));
    fs.symlinkSync('src/a.ts', path.join(root, 'inside.ts'));
    fs.symlinkSync('src', path.join(root, 'srclink'));
    expect(inspectPath(root, 'src/a.ts')).toEqual({ kind: 'file' });
    expect(inspectPath(root, 'src/new/b.ts')).toEqual({ kind: 'missing' });
    expect(inspectPath(root, 'dangling.js')).toEqual({ kind: 'refused', problem: 'dangling.js is a symbolic link pointing outside the repository; codemonkey never follows, edits or deletes symbolic links' });
    expect(inspectPath(root, 'inside.ts')).toEqual({ kind: 'refused', problem: 'inside.ts is a symbolic link; codemonkey never follows, edits or deletes symbolic links' });
    expect(inspectPath(root, 'srclink/a.ts')).toMatchObject({ kind: 'refused', problem: expect.stringMatching(/^srclink is a symbolic link;/) });
    expect(inspectPath(root, 'src')).toEqual({ kind: 'refused', problem: 'src is a folder, not a file' });
    expect(inspectPath(root, 'src/a.ts/c.ts')).toEqual({ kind: 'refused', problem: 'src/a.ts is a file, not a folder' });
  });
});

describe('sizeProblem', () => {
  it('refuses content over the byte or line limit that selection applies, and NUL bytes', () => {
    expect(sizeProblem('a.ts', 'x'.repeat(100_000))).toBeNull();
    expect(sizeProblem('a.ts', 'x'.repeat(100_001))).toMatch(/^the edits would make a\.ts 100001 bytes, over the 100000-byte limit/);
    expect(sizeProblem('a.ts', 'é'.repeat(50_001))).toMatch(/100002 bytes/);
    expect(sizeProblem('a.ts', '\n'.repeat(2999))).toBeNull();
    expect(sizeProblem('a.ts', '\n'.repeat(3000))).toMatch(/longer than 3000 lines/);
    expect(sizeProblem('a.ts', 'a\u0000b')).toMatch(/NUL byte/);
  });
});

describe('planEdits bounds', () => {
  it('refuses an option that creates more than 20 files', async () => {
    const root = fs.realpathSync(tmpDir('cm-many-'));
    const edits = Array.from({ length: 21 }, (_, i) => ({ path: `gen/f${i}.ts`, search: '', replace: 'export {};\n' }));
    const policy = { root, currentFile: 'a.ts', refuse: () => null };
    const reader = { read: () => Promise.resolve(null) };
    expect(await planEdits({ title: 't', rationale: 'r', risk: 'low', shrinks: false, edits }, { reader, policy })).toEqual({
      ok: false,
      problems: ['the option changes 21 files; at most 20 per option: make a smaller change'],
    });
    expect((await planEdits({ title: 't', rationale: 'r', risk: 'low', shrinks: false, edits: edits.slice(0, 20) }, { reader, policy })).ok).toBe(true);
  });
});

describe('ChangeTracker against a check that swaps files for links', () => {
  it('restores the real file and never writes through the link', async () => {
    const root = fs.realpathSync(tmpDir('cm-swap-'));
    const outside = path.join(fs.realpathSync(tmpDir('cm-swap-out-')), 'victim.txt');
    fs.writeFileSync(outside, 'victim\n');
    fs.writeFileSync(path.join(root, 'a.ts'), 'original\n');
    const t = new ChangeTracker(root);
    await t.write([{ path: 'a.ts', before: 'original\n', after: 'changed\n' }]);
    // What a hostile check could do between the write and the restore:
    fs.rmSync(path.join(root, 'a.ts'));
    fs.symlinkSync(outside, path.join(root, 'a.ts'));
    await t.restore();
    expect(fs.lstatSync(path.join(root, 'a.ts')).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(root, 'a.ts'), 'utf8')).toBe('original\n');
    expect(fs.readFileSync(outside, 'utf8')).toBe('victim\n');
  });

  it('refuses to write when a folder on the way became a link', async () => {
    const root = fs.realpathSync(tmpDir('cm-swap2-'));
    const outside = fs.realpathSync(tmpDir('cm-swap2-out-'));
    fs.symlinkSync(outside, path.join(root, 'src'));
    const t = new ChangeTracker(root);
    await expect(t.write([{ path: 'src/a.ts', before: null, after: 'x' }])).rejects.toThrow(/stopped before writing src\/a\.ts: src is a symbolic link/);
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});

describe('money', () => {
  it('shows budgets with every digit given and spend with enough digits', () => {
    expect(formatBudgetUsd(0.015)).toBe('$0.015');
    expect(formatBudgetUsd(2)).toBe('$2.00');
    expect(formatBudgetUsd(0.5)).toBe('$0.50');
    expect(formatBudgetUsd(0.0125)).toBe('$0.0125');
    expect(formatBudgetUsd(12.345678)).toBe('$12.345678');
    expect(formatUsd(0.015)).toBe('$0.0150');
    expect(formatUsd(0.00096)).toBe('$0.0010');
    expect(formatUsd(0.00001)).toBe('<$0.0001');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(4.2)).toBe('$4.20');
  });
});
