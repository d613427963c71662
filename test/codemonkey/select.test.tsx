/** The ink option picker, driven through ink-testing-library's fake stdin. */
import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { OptionSelector, optionDiff, pickerLayout, wrapLines } from '../../src/ui/codemonkey-select.js';
import type { Choice, ChooseRequest } from '../../src/ai/codemonkey/loop.js';

const request: ChooseRequest = {
  file: 'src/math.ts',
  position: 2,
  total: 5,
  options: [
    { title: 'Document add', rationale: 'Readers see the contract.', risk: 'low', shrinks: false, edits: [{ path: null, search: 'export function add', replace: '/** Adds. */\nexport function add' }] },
    { title: 'Inline sum', rationale: 'One less helper.', risk: 'high', shrinks: true, edits: [{ path: 'src/report.ts', search: 'sum(values)', replace: 'values.reduce((a, b) => a + b, 0)' }] },
  ],
};

const tick = () => new Promise((r) => setTimeout(r, 20));

async function pick(keys: string[], req: ChooseRequest = request): Promise<{ choice: Choice | null; frames: string[] }> {
  let choice: Choice | null = null;
  const ui = render(<OptionSelector request={req} onDone={(c) => (choice = c)} />);
  const frames = [ui.lastFrame() ?? ''];
  for (const k of keys) {
    await tick();
    ui.stdin.write(k);
    await tick();
    frames.push(ui.lastFrame() ?? '');
  }
  ui.unmount();
  return { choice, frames };
}

describe('OptionSelector', () => {
  it('shows the options, the rationale and the diff of the highlighted one', async () => {
    const { frames } = await pick([]);
    const f = frames[0] ?? '';
    expect(f).toContain('src/math.ts  file 2/5');
    expect(f).toContain('❯ 1. Document add [low risk]');
    expect(f).toContain('  2. Inline sum [high risk] [removes most of a file]');
    expect(f).toContain('Readers see the contract.');
    expect(f).toContain('@@ src/math.ts\n- export function add\n+ /** Adds. */\n+ export function add');
    expect(f).toContain('Enter apply · s skip this file · q stop');
  });

  it('moves with the arrow keys and applies with Enter', async () => {
    const { choice, frames } = await pick(['\u001B[B', '\r']);
    expect(frames[1]).toContain('❯ 2. Inline sum');
    expect(frames[1]).toContain('@@ src/report.ts\n- sum(values)\n+ values.reduce((a, b) => a + b, 0)');
    expect(choice).toEqual({ action: 'apply', index: 1 });
  });

  it('skips with s and stops with q or Ctrl-C', async () => {
    expect((await pick(['s'])).choice).toEqual({ action: 'skip' });
    expect((await pick(['q'])).choice).toEqual({ action: 'quit' });
    expect((await pick(['\u0003'])).choice).toEqual({ action: 'quit' });
    expect((await pick(['2', '\r'])).choice).toEqual({ action: 'apply', index: 1 });
  });

  it('caps long diffs', () => {
    const long = { ...request.options[0]!, edits: [{ path: null, search: 'a\n'.repeat(30), replace: 'b\n'.repeat(30) }] };
    const lines = optionDiff(long, 'x.ts', 10);
    expect(lines).toHaveLength(11);
    expect(lines[10]).toEqual({ kind: 'more', text: '… 51 more lines' });
  });

  it('fits a long diff in 24 rows (a page at a time) and leaves one summary line after a choice', async () => {
    const long: ChooseRequest = {
      ...request,
      options: [{ ...request.options[0]!, title: '\u001b]0;t\u0007Long one', edits: [{ path: null, search: 'a', replace: Array.from({ length: 60 }, (_, i) => `line ${i + 1} \u001b[2J`).join('\n') }] }, request.options[1]!],
    };
    const { frames, choice } = await pick([' ', 'b', 'q'], long);
    const first = (frames[0] ?? '').split('\n');
    expect(first.length).toBeLessThanOrEqual(23);
    expect(first[1]).toBe('❯ 1. Long one [low risk]');
    expect(first[2]).toBe('  2. Inline sum [high risk] [removes most of a file]');
    expect(first).toContain('+ line 1 \\x1b[2J');
    expect(first[first.length - 2]).toBe('diff lines 1-15 of 62 · Space/PgDn more');
    expect(frames[1]).toContain('diff lines 16-30 of 62 · Space/PgDn more · b/PgUp back');
    expect(frames[2]).toContain('diff lines 1-15 of 62');
    expect(choice).toEqual({ action: 'quit' });
    expect(frames[3]).toBe('src/math.ts: stopped here (q)');
  });

  it('lays out rows and wraps the rationale', () => {
    expect(pickerLayout(24, 3)).toEqual({ rationaleLines: 2, pageSize: 14 });
    expect(pickerLayout(24, 1)).toEqual({ rationaleLines: 2, pageSize: 16 });
    expect(pickerLayout(10, 3)).toEqual({ rationaleLines: 0, pageSize: 2 });
    expect(wrapLines('one two three four five six', 9, 2)).toEqual(['one two', 'three …']);
  });

  it('applies the option the cursor is on even when Enter follows the arrow at once', async () => {
    let choice: Choice | null = null;
    const ui = render(<OptionSelector request={request} onDone={(c) => (choice = c)} />);
    await tick();
    ui.stdin.write('\u001B[B');
    ui.stdin.write('\r');
    await tick();
    ui.unmount();
    expect(choice).toEqual({ action: 'apply', index: 1 });
  });
});
