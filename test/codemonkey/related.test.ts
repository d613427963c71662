/**
 * Issue 20 "codemonkey with a real model": the model sees the tests and the importers of the
 * file it edits (not only the --files selection), within a budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { findRelated, importSpecifiers, importerLines, isTestPath, relatedContext, resolveImport } from '../../src/ai/codemonkey/related.js';
import { makeRepo, options } from './helpers.js';

const servers: OpenAIServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const MATH_TEST = "import { describe, it } from 'node:test';\nimport assert from 'node:assert';\nimport { add, mean } from '../src/math.js';\n\nit('adds', () => assert.equal(add(2, 3), 5));\nit('means', () => assert.equal(mean([]), 0));\n";

describe('findRelated', () => {
  const files = [
    { path: 'src/math.ts', content: 'export function add() {}' },
    { path: 'src/report.ts', content: "import { mean, sum } from './math.js';\nexport const r = sum([1]) + mean([2]);\n" },
    { path: 'src/lazy.ts', content: "export const m = () => import('./math');\n" },
    { path: 'src/cjs.cjs', content: "const math = require('./math.ts');\nmodule.exports = math.add;\n" },
    { path: 'src/unrelated.ts', content: "import { x } from './mathematics.js';\n" },
    { path: 'test/math.test.ts', content: MATH_TEST },
    { path: 'src/math.spec.ts', content: 'describe("math", () => {});\n' },
    { path: 'test/strings.test.ts', content: "import { words } from '../src/strings.js';\n" },
    { path: 'lib/index.ts', content: "export * from '../src/math.js';\n" },
  ];

  it('finds tests (by import or by name) and importers (import, export from, import(), require)', () => {
    expect(findRelated('src/math.ts', files)).toEqual({ tests: ['src/math.spec.ts', 'test/math.test.ts'], importers: ['src/cjs.cjs', 'src/lazy.ts', 'src/report.ts', 'lib/index.ts'] });
  });

  it('resolves .js to .ts, extensionless and index specifiers, and Python modules', () => {
    const known = new Set(['src/a.ts', 'src/b/index.tsx', 'pkg/mod.py', 'pkg/sub/__init__.py']);
    expect(resolveImport('src/x.ts', './a.js', known)).toBe('src/a.ts');
    expect(resolveImport('src/x.ts', './a', known)).toBe('src/a.ts');
    expect(resolveImport('src/x.ts', './b', known)).toBe('src/b/index.tsx');
    expect(resolveImport('src/x.ts', '../../etc/passwd', known)).toBeNull();
    expect(resolveImport('pkg/x.py', '.mod', known)).toBe('pkg/mod.py');
    expect(resolveImport('tests/t.py', 'pkg.sub', known)).toBe('pkg/sub/__init__.py');
    expect(importSpecifiers('a.py', 'from .mod import f\nimport pkg.sub\n')).toEqual(['.mod', 'pkg.sub']);
    expect(isTestPath('tests/test_mod.py')).toBe(true);
    expect(isTestPath('pkg/mod_test.go')).toBe(true);
    expect(isTestPath('src/selftest.ts')).toBe(false);
  });

  it("shows an importer's import and the lines that use what it imports", () => {
    const known = new Set(files.map((f) => f.path));
    expect(importerLines(files[1]!, 'src/math.ts', known)).toBe("1| import { mean, sum } from './math.js';\n2| export const r = sum([1]) + mean([2]);");
  });

  it('stays within the budget and names what did not fit', () => {
    const big = 'x'.repeat(50_000);
    const related = { tests: ['t1.test.ts', 't2.test.ts', 't3.test.ts'], importers: ['a.ts'] };
    const text = relatedContext('m.ts', related, (p) => (p === 'a.ts' ? "import { f } from './m.js';\nf();\n" : big), new Set(['m.ts', 'a.ts']), 8_000);
    expect(text.length).toBeLessThan(8_000 + 200);
    expect(text).toContain('t1.test.ts:\n````\nxxx');
    expect(text).toContain('more characters not shown');
    expect(text).toMatch(/\(not shown for lack of room: .*t3\.test\.ts/);
    expect(relatedContext('m.ts', { tests: [], importers: [] }, () => null, new Set())).toBe('No tests or importers of m.ts were found in the repository.');
  });
});

describe('codemonkey requests', () => {
  it('include the tests and importers of the file being edited, even outside --files', async () => {
    const dir = makeRepo({ 'test/math.test.ts': MATH_TEST, 'test/strings.test.ts': "import { words } from '../src/strings.js';\n// STRINGS TEST BODY\n" });
    const s = await startOpenAIServer([options([])]);
    servers.push(s);
    const r = await runCli(['codemonkey', 'document add', '--files', 'src/math.ts', '--check', 'node check.js', '--yes', '--json'], {
      cwd: dir,
      env: baseEnv({ OPENAI_API_KEY: 'sk-test-0123456789', OPENAI_BASE_URL: s.url }),
    });
    expect(r.code, r.stderr).toBe(0);
    const prompt = (s.chatRequests()[0]?.body.messages as { role: string; content: string }[])[1]?.content ?? '';
    expect(prompt).toContain(`Tests of src/math.ts (they must keep passing):\ntest/math.test.ts:\n\`\`\`\`\n${MATH_TEST}\n\`\`\`\``);
    expect(prompt).toContain("Files that import src/math.ts (keep them working):\nsrc/report.ts:\n````\n1| import { mean, sum } from './math.js';\n5|   return `${titleCase(name)}: total ${sum(values)}, mean ${mean(values)}`;\n````");
    expect(prompt).toContain("src/selftest.ts:\n````\n 2| import { add, mean, sum } from './math.js';");
    // The map covers the repository, not only --files; an unrelated test is not shown.
    expect(prompt).toMatch(/Repository map \(exported symbols per file\):\nsrc\/math\.ts: add, sum, mean\n(.*\n)*src\/strings\.ts: capitalize, words, titleCase/);
    expect(prompt).not.toContain('STRINGS TEST BODY');
  });
});
