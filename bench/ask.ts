/**
 * ask benchmark. Two parts:
 *  1. Golden set: recall@3 of the 48 golden questions (test/fixtures/ask/golden.json) over the demo
 *     project (seed 42, 2000 users, scorecards saved) and the fixture docs. Target: >= 0.9.
 *  2. Speed: a store with N synthetic entities and a folder of P Markdown pages (4 sections each):
 *     the first index build, a no-change refresh, a refresh after one entity and one page changed,
 *     and offline query latency (median and worst of 50 questions). Target: 10,000 entities and
 *     2,000 pages indexed in under 10 s on 2 cores; a query under 200 ms.
 * Args: [entities] [pages], defaults 10000 2000.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { askQuestion } from '../src/ask/knowledge.js';
import { openIndex } from '../src/ask/service.js';
import { Store } from '../src/store/store.js';
import { buildDemoProject, evaluateGolden, openGolden } from './_ask-golden.js';

const WORDS = 'checkout revenue shipping search ranking feed gnome banner promo vip mobile cart order basket signup retention latency price discount bundle onboarding email push referral trial plan upgrade churn'.split(' ');

function pick(i: number, k: number): string {
  return WORDS[(i * 7 + k * 13) % WORDS.length] as string;
}

export default async function bench(args: string[]): Promise<void> {
  const entities = Number(args[0] ?? 10_000);
  const pages = Number(args[1] ?? 2_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-bench-ask-'));
  try {
    // 1. golden set
    const goldenDir = path.join(root, 'golden');
    const db = await buildDemoProject(goldenDir);
    const report = await evaluateGolden(await openGolden(db, goldenDir));
    process.stdout.write(`golden: ${report.questions} questions, recall@3 ${report.recallAt3.toFixed(3)} (${Object.entries(report.byKind).map(([k, v]) => `${k} ${v.recallAt3.toFixed(2)} of ${v.questions}`).join(', ')}), ${report.msPerQuery.toFixed(1)} ms/question\n`);
    for (const m of report.misses) process.stdout.write(`  miss: "${m.q}" expected ${m.expect.join(' | ')}, got ${m.got.join(', ')}\n`);

    // 2. speed
    const speedDir = path.join(root, 'speed');
    const sdb = path.join(speedDir, '.statsig-hack', 'project.duckdb');
    const store = await Store.open(sdb, { create: true });
    await store.run(`INSERT INTO entities (kind, name, type, status, spec)
      SELECT ['gates','experiments','dynamic_configs','metrics','layers','segments'][1 + (i % 6)::INTEGER], 'entity_' || i, 'x', 'active',
        json_object('name', 'entity_' || i, 'description', 'Entity ' || i || ' about ' || ['${WORDS.join("','")}'][1 + (i % ${WORDS.length})::INTEGER] || ' and ' || ['${WORDS.join("','")}'][1 + ((i * 7) % ${WORDS.length})::INTEGER],
          'hypothesis', 'Changing the ' || ['${WORDS.join("','")}'][1 + ((i * 3) % ${WORDS.length})::INTEGER] || ' flow moves ' || ['${WORDS.join("','")}'][1 + ((i * 5) % ${WORDS.length})::INTEGER],
          'tags', ['t' || (i % 50)])
      FROM range(${entities}) r(i)`);
    store.close();
    const docs = path.join(speedDir, 'docs');
    for (let p = 0; p < pages; p += 1) {
      const dirp = path.join(docs, `section-${p % 40}`);
      fs.mkdirSync(dirp, { recursive: true });
      const body = [`# Page ${p}: ${pick(p, 0)}`, '', `Intro about ${pick(p, 1)} and ${pick(p, 2)}.`, ''];
      for (let s = 0; s < 4; s += 1) body.push(`## ${pick(p, s + 3)} notes ${s}`, '', `When the ${pick(p, s + 4)} changes, ${pick(p, s + 5)} moves; we measured it in week ${(p + s) % 52}.`, `Keep ${pick(p, s + 6)} stable.`, '');
      fs.writeFileSync(path.join(dirp, `page-${p}.md`), body.join('\n'));
    }
    const indexFile = path.join(speedDir, '.statsig-hack', 'project.ask-index.json');
    let t = performance.now();
    const cpu = process.cpuUsage();
    const first = await openIndex({ db: sdb, cwd: speedDir, docs: 'docs' });
    const buildMs = performance.now() - t;
    const cpuS = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6;
    process.stdout.write(`speed: ${entities} entities + ${pages} pages -> ${first.index.size} documents indexed and saved in ${(buildMs / 1000).toFixed(2)} s (${cpuS.toFixed(2)} CPU-s), index file ${(fs.statSync(indexFile).size / 1e6).toFixed(1)} MB\n`);
    t = performance.now();
    const again = await openIndex({ db: sdb, cwd: speedDir, docs: 'docs' });
    process.stdout.write(`speed: reopen with no change (load + check): ${((performance.now() - t) / 1000).toFixed(2)} s, ${again.stats.added} re-indexed\n`);
    const edited = await Store.open(sdb);
    await edited.run(`UPDATE entities SET spec = json_merge_patch(spec, '{"description":"lavender"}') WHERE name = 'entity_7'`);
    edited.close();
    fs.appendFileSync(path.join(docs, 'section-1', 'page-1.md'), '\n## Lavender\n\nA new section.\n');
    t = performance.now();
    const inc = await openIndex({ db: sdb, cwd: speedDir, docs: 'docs' });
    process.stdout.write(`speed: refresh after 1 entity and 1 page changed: ${((performance.now() - t) / 1000).toFixed(2)} s, ${inc.stats.added} documents re-indexed\n`);
    const times: number[] = [];
    for (let q = 0; q < 50; q += 1) {
      const question = `which experiments moved ${pick(q, 1)} after the ${pick(q, 2)} change`;
      const s = performance.now();
      await askQuestion(inc.index, inc.facts, inc.scorecards, question);
      await inc.index.search(`${pick(q, 3)} ${pick(q, 4)}`, { limit: 10 });
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(`speed: offline ask + search per question: median ${(times[25] as number).toFixed(1)} ms, worst ${(times[49] as number).toFixed(1)} ms\n`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
