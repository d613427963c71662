/** The test terminal itself: the emulation behind spawnPty().screen(). */
import { describe, expect, it } from 'vitest';
import { emulate, stripAnsi } from '../support/pty.js';

describe('emulate', () => {
  it('counts autowraps and scrolls into the scrollback', () => {
    const s = emulate('0123456789abc\r\nline2\r\nline3\r\nline4', 10, 3);
    expect(s.wraps).toBe(1);
    expect(s.scrollback).toEqual(['0123456789', 'abc']);
    expect(s.rows).toEqual(['line2', 'line3', 'line4']);
  });

  it('a line exactly as wide as the terminal does not wrap', () => {
    expect(emulate('0123456789\r\nnext', 10, 3).wraps).toBe(0);
  });

  it('replays ink-style redraws: erase lines and cursor up', () => {
    const s = emulate('⠋ working 0.1s\r\n\x1b[2K\x1b[1A\x1b[2K\x1b[G\x1b[32m✓ done (0.2s)\x1b[39m\r\n', 40, 5);
    expect(s.rows[0]).toBe('✓ done (0.2s)');
    expect(s.rows[1]).toBe('');
  });

  it('strips colour and OSC sequences', () => {
    expect(stripAnsi('\x1b[1mbold\x1b[22m \x1b]0;title\x07x')).toBe('bold x');
  });
});
