/** Review item 18: a guardrail typo in file mode names --guardrails (not --metric), with a did-you-mean and exit 2. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

describe('analyze --data: a guardrail column that is not in the file', () => {
  it('says it is the guardrail, suggests the close column and points at --guardrails', async () => {
    const cwd = tmpDir();
    const rows = Array.from({ length: 60 }, (_, i) => `u${i},${i % 2 ? 'test' : 'control'},${i % 7},${i % 3}`);
    writeFile(cwd, 'exp.csv', `user_id,variant,revenue,orders\n${rows.join('\n')}\n`);
    const base = ['analyze', '--data', 'exp.csv', '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue'];
    const r = await runCli([...base, '--guardrails', 'ordrs:increase'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: guardrail metric column "ordrs" is not in exp\.csv \(did you mean "orders"\?\)\n {2}hint: fix the name in --guardrails; its columns are: user_id, variant, revenue, orders\n$/);
    // a --metric typo still names --metric
    const m = await runCli(['analyze', '--data', 'exp.csv', '--unit', 'user_id', '--group', 'variant', '--metric', 'revnue'], { cwd });
    expect(m.stderr).toMatch(/hint: name the metric column with --metric/);
  });
});
