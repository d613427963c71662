/**
 * codemonkey throughput: a generated 50-file TypeScript repo, the scripted OpenAI-compatible
 * test server (instant replies: one option per file), and a check command that takes ~1 s.
 * Prints files per minute and the overhead outside model calls and checks (git, file picking,
 * edit checks, records), per file and as a share of the 1 s check. Target: under 10%.
 *
 *   npm run bench -- codemonkey [--files 50] [--check-ms 1000]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../src/cli.js';
import { startOpenAIServer, type RecordedRequest, type Reply } from '../test/support/openai-server.js';

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function moduleSource(i: number): string {
  const n = String(i).padStart(2, '0');
  return [
    `import { clamp } from './util.js';`,
    '',
    `export function score${n}(values: number[]): number {`,
    '  let total = 0;',
    `  for (const v of values) total += clamp(v * ${i + 1}, 0, 100);`,
    '  return total;',
    '}',
    '',
    `export function label${n}(name: string): string {`,
    `  return \`module ${n}: \${name.trim()}\`;`,
    '}',
    '',
    `export const WEIGHT_${n} = ${(i + 1) / 10};`,
    '',
  ].join('\n');
}

const CHECK_JS = `// Bench check: waits CHECK_MS, then checks brackets in src/*.ts.
import fs from 'node:fs';
await new Promise((r) => setTimeout(r, Number(process.env.CHECK_MS ?? 1000)));
let bad = 0;
for (const f of fs.readdirSync('src')) {
  const t = fs.readFileSync('src/' + f, 'utf8');
  if ((t.match(/\\{/g) ?? []).length !== (t.match(/\\}/g) ?? []).length) { console.error(f + ': unbalanced braces'); bad++; }
}
process.exit(bad > 0 ? 1 : 0);
`;

function makeRepo(files: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codemonkey-bench-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench', private: true, type: 'module' }, null, 2));
  fs.writeFileSync(path.join(dir, 'check.js'), CHECK_JS);
  fs.writeFileSync(path.join(dir, 'src/util.ts'), 'export function clamp(v: number, lo: number, hi: number): number {\n  return Math.min(hi, Math.max(lo, v));\n}\n');
  for (let i = 0; i < files - 1; i++) fs.writeFileSync(path.join(dir, `src/mod${String(i).padStart(2, '0')}.ts`), moduleSource(i));
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Bench');
  git('config', 'user.email', 'bench@example.com');
  git('add', '-A');
  git('commit', '-q', '-m', 'bench fixture');
  return dir;
}

/** One option per file: a doc comment on its first export. */
function reply(req: RecordedRequest): Reply {
  const messages = (req.body?.messages ?? []) as { content: string }[];
  const prompt = messages.map((m) => m.content).join('\n');
  const file = /^File (\S+) \(/m.exec(prompt)?.[1] ?? '';
  const n = /mod(\d\d)\.ts$/.exec(file)?.[1];
  const search = n ? `export function score${n}(` : 'export function clamp(';
  const option = { title: `Document ${path.basename(file)}`, rationale: 'Say what it computes.', risk: 'low', shrinks: false, edits: [{ path: null, search, replace: `/** Weighted, clamped total. */\n${search}` }] };
  return { json: { options: [option] }, usage: { prompt_tokens: 1500, completion_tokens: 120 } };
}

class Sink {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export default async function bench(args: string[]): Promise<void> {
  const files = Math.round(arg(args, '--files', 50));
  const checkMs = arg(args, '--check-ms', 1000);
  const dir = makeRepo(files);
  const server = await startOpenAIServer(reply);
  try {
    const stdout = new Sink();
    const stderr = new Sink();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', OPENAI_API_KEY: 'sk-bench-0000000000', OPENAI_BASE_URL: server.url, CHECK_MS: String(checkMs) };
    const t0 = performance.now();
    const code = await run(['codemonkey', 'document the exported functions', '--check', 'node check.js', '--max-files', String(files), '--budget-usd', '100', '--yes', '--json'], {
      stdout,
      stderr,
      stdin: { isTTY: false },
      cwd: dir,
      env,
    });
    const wall = performance.now() - t0;
    if (code !== 0) throw new Error(`codemonkey exited ${code}: ${stderr.text.slice(-2000)}`);
    const out = JSON.parse(stdout.text) as { totals: { files_changed: number; check_runs: number; duration_ms: number; model_ms: number; check_ms: number }; status: string };
    const t = out.totals;
    const overhead = t.duration_ms - t.model_ms - t.check_ms;
    const perFile = overhead / Math.max(1, t.files_changed);
    const checkPerRun = t.check_ms / Math.max(1, t.check_runs);
    const share = perFile / checkPerRun;
    const rows: [string, string][] = [
      ['repo', `${files} files (generated), check sleeps ${checkMs} ms`],
      ['status', `${out.status}, ${t.files_changed} files committed, ${t.check_runs} check runs (1 baseline)`],
      ['wall time', `${(wall / 1000).toFixed(2)} s (run ${(t.duration_ms / 1000).toFixed(2)} s)`],
      ['files per minute', ((t.files_changed / t.duration_ms) * 60_000).toFixed(1)],
      ['model time', `${t.model_ms} ms (scripted server)`],
      ['check time', `${t.check_ms} ms (${checkPerRun.toFixed(0)} ms per run)`],
      ['overhead outside model and check', `${overhead} ms total, ${perFile.toFixed(1)} ms per file`],
      ['overhead vs the check', `${(share * 100).toFixed(1)}% of one check run per file (target < 10%): ${share < 0.1 ? 'OK' : 'OVER TARGET'}`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
