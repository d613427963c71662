/** Hints for a bad number suggest a typical value (usually the default), never a bound of the range. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

describe('number hints', () => {
  it.each([
    [['analyze', '--data', 'x.csv', '--winsorize', '99'], 'e.g. --winsorize 0.999'],
    [['analyze', '--experiment', 'x', '--pre-days', '-3'], 'e.g. --pre-days 14'],
    [['forecast', '--metric', 'dau', '--folds', '0'], 'e.g. --folds 5'],
    [['whatchanged', '--metric', 'dau', '--top', '0'], 'e.g. --top 5'],
    [['interactions', '--min-overlap', '-1'], 'e.g. --min-overlap 100'],
    [['power', '--metric', 'revenue', '--n', '0', '--variance', '400'], 'e.g. --n 50000'],
    [['demo', '--users', '50'], 'e.g. --users 20000'],
  ])('%j', async (args, hint) => {
    const r = await runCli(args, { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(hint);
  });
});
