import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { ChatAnswer, ChatTurn } from '../../src/ask/chat.js';
import { ChatApp } from '../../src/ui/chat.js';

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

/** Waits until the last frame contains `text` (polling: no fixed sleep, so a loaded machine only waits longer). */
async function frameWith(ui: { lastFrame: () => string | undefined }, text: string, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const frame = ui.lastFrame() ?? '';
    if (frame.includes(text)) return frame;
    if (Date.now() > until) throw new Error(`the frame never showed ${JSON.stringify(text)}; last frame:\n${frame}`);
    await tick();
  }
}

describe('interactive chat (ink)', () => {
  it('asks on Enter, shows the answer with its quoted source, and sends the conversation along', { timeout: 60_000 }, async () => {
    const histories: ChatTurn[][] = [];
    const answer = async (question: string, history: ChatTurn[]): Promise<ChatAnswer> => {
      histories.push(history);
      return {
        question,
        mode: 'offline',
        known: true,
        answer: `answer to ${question}`,
        quotes: [{ source: 'docs/a.md#0', text: 'quoted words', file: 'a.md', heading: 'Intro', lines: [3, 5], path: 'a.md#L3-L5' }],
        sources: [],
        removed: [],
        repaired: false,
      };
    };
    const ui = render(<ChatApp answer={answer} />);
    for (const ch of 'what is cuped') ui.stdin.write(ch);
    await frameWith(ui, 'what is cuped');
    ui.stdin.write('\r');
    const frame = await frameWith(ui, 'a.md › Intro (lines 3-5)');
    expect(frame).toContain('› what is cuped');
    expect(frame).toContain('answer to what is cuped');
    expect(frame).toContain('a.md › Intro (lines 3-5)');
    for (const ch of 'and sre') ui.stdin.write(ch);
    ui.stdin.write('\x7f');
    ui.stdin.write('m');
    await frameWith(ui, 'and srm');
    ui.stdin.write('\r');
    expect(await frameWith(ui, 'answer to and srm')).toContain('answer to and srm');
    expect(histories[1]).toEqual([{ question: 'what is cuped', answer: 'answer to what is cuped' }]);
    ui.unmount();
  });
});
