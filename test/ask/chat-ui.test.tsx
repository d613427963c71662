import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { ChatAnswer, ChatTurn } from '../../src/ask/chat.js';
import { ChatApp } from '../../src/ui/chat.js';

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('interactive chat (ink)', () => {
  it('asks on Enter, shows the answer with its quoted source, and sends the conversation along', async () => {
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
    await tick();
    ui.stdin.write('\r');
    await tick(80);
    const frame = ui.lastFrame() ?? '';
    expect(frame).toContain('› what is cuped');
    expect(frame).toContain('answer to what is cuped');
    expect(frame).toContain('a.md › Intro (lines 3-5)');
    for (const ch of 'and sre') ui.stdin.write(ch);
    ui.stdin.write('\x7f');
    ui.stdin.write('m');
    await tick();
    ui.stdin.write('\r');
    await tick(80);
    expect(ui.lastFrame()).toContain('answer to and srm');
    expect(histories[1]).toEqual([{ question: 'what is cuped', answer: 'answer to what is cuped' }]);
    ui.unmount();
  });
});
