/** Text that fits a terminal: help reflowed, examples broken before flags, messages wrapped. */
import { describe, expect, it } from 'vitest';
import { fitHelp, fitMessage, terminalWidth, wrap } from '../../src/core/text.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

const tooWide = (text: string, width: number): string[] => text.split('\n').filter((l) => [...l].length > width);

describe('fitHelp', () => {
  it('reflows paragraphs, breaks a long example before its flags, leaves what fits alone', () => {
    const help = [
      'The store is replaced in one transaction (asked first on a terminal; --force elsewhere).',
      'Without a model the offline packs are used.',
      '',
      'Examples:',
      '  $ statsig-hack whatchanged --metric purchase --agg sum --baseline 2026-10-01..2026-10-07 --current 2026-10-08..2026-10-14',
      '  $ statsig-hack status',
    ].join('\n');
    const out = fitHelp(help, 60);
    expect(tooWide(out, 60)).toEqual([]);
    expect(out.split('\n\n')[0]?.replace(/\n/g, ' ')).toBe('The store is replaced in one transaction (asked first on a terminal; --force elsewhere). Without a model the offline packs are used.');
    expect(out).toContain('  $ statsig-hack whatchanged --metric purchase --agg sum \\\n        --baseline 2026-10-01..2026-10-07 \\\n        --current 2026-10-08..2026-10-14');
    expect(out).toContain('\n  $ statsig-hack status');
    expect(fitHelp('short\n\n  $ statsig-hack demo', 80)).toBe('short\n\n  $ statsig-hack demo');
  });

  it('every --help fits 100 columns (commands and their examples)', async () => {
    const cwd = tmpDir();
    for (const cmd of [[], ['demo'], ['seed'], ['whatchanged'], ['analyze'], ['forecast'], ['push'], ['import'], ['query']]) {
      const r = await runCli([...cmd, '--help'], { cwd, env: baseEnv({ COLUMNS: '100' }) });
      expect(r.code).toBe(0);
      expect(tooWide(r.stdout, 100), cmd.join(' ')).toEqual([]);
    }
  });
});

describe('fitMessage and terminalWidth', () => {
  it('keeps a message as it is without a width; never narrower than 40', () => {
    expect(fitMessage('a\nstatsig-hack status --db x', undefined, 'hint: ')).toBe('hint: a\n      statsig-hack status --db x');
    expect(terminalWidth({ isTTY: true, columns: 20 }, {})).toBe(40);
    expect(terminalWidth({ isTTY: false }, { COLUMNS: '90' })).toBe(90);
    expect(terminalWidth({ isTTY: false }, {})).toBeUndefined();
  });
});

describe('wrap', () => {
  it('breaks only between words: numbers, dates and paths stay whole, continuation lines indented', () => {
    const text = 'From 2026-09-07 to 2026-10-04 revenue averaged 30,680 per day; p 0.583, estimate -0.0008083, store /tmp/rv-b/.statsig-hack/demo.duckdb';
    for (const width of [40, 60, 100]) {
      const out = wrap(text, width);
      expect(out.split('\n').every((l) => [...l].length <= width)).toBe(true);
      expect(out.replace(/\n {2}/g, ' ')).toBe(text);
    }
  });

  it('never ends a line on a one-character word: "p 0.583" and "p < 0.001" stay together', () => {
    const line = 'add_to_cart:event_count (personalized vs Control): +5.5%, estimate 0.1506 [0.0744, 0.227], p < 0.001, significant, win';
    for (let width = 40; width <= 120; width += 1) {
      const out = wrap(line, width);
      expect(out).toContain('p < 0.001');
      expect(out.replace(/\n {2}/g, ' ')).toBe(line);
    }
  });

  it('keeps a command in backticks on one line when it fits one', () => {
    const hint = 'the store is empty; import events with `statsig-hack import events.csv --into events`, or pass --data <file>';
    for (const width of [50, 60, 70, 80]) {
      const out = wrap(hint, width);
      expect(out.split('\n').every((l) => [...l].length <= width)).toBe(true);
      expect(out.split('\n').some((l) => l.includes('`statsig-hack import events.csv --into events`'))).toBe(true);
    }
    // Wider than a line: broken between its words rather than cut.
    expect(wrap(hint, 30).replace(/\n {2}/g, ' ')).toBe(hint);
  });
});
