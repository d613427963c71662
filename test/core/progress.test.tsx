import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { PlainProgress, createProgress, formatCount, silentProgress } from '../../src/core/progress.js';
import { ProgressView } from '../../src/ui/progress.js';

class Sink {
  text = '';
  isTTY = false;
  write(s: string) {
    this.text += s;
    return true;
  }
}

describe('progress', () => {
  it('plain progress writes a start line, throttled updates and a final line with the time', () => {
    const sink = new Sink();
    let now = 0;
    const p = new PlainProgress(sink, { intervalMs: 1000, now: () => now });
    p.start('generating events', 100);
    now = 500;
    p.update(10); // throttled
    now = 1200;
    p.update(40);
    now = 2500;
    p.stop('generated events');
    expect(sink.text).toBe('generating events...\ngenerating events: 40/100 (40%)\ngenerated events (2.5s)\n');
  });

  it('formats counts with and without a total', () => {
    expect(formatCount(3, undefined)).toBe('3');
    expect(formatCount(1, 3)).toBe('1/3 (33%)');
  });

  it('chooses plain lines off a TTY and nothing with --quiet', async () => {
    const sink = new Sink();
    expect(await createProgress(sink, { interactive: false, quiet: true })).toBe(silentProgress);
    expect(await createProgress(sink, { interactive: false, quiet: false })).toBeInstanceOf(PlainProgress);
  });

  it('the ink view draws a bar when the total is known, and a check mark when finished', () => {
    const bar = render(<ProgressView label="fitting" done={5} total={10} />);
    expect(bar.lastFrame()).toContain('fitting');
    expect(bar.lastFrame()).toContain('█'.repeat(12));
    expect(bar.lastFrame()).toContain('5/10 (50%)');
    bar.unmount();
    const done = render(<ProgressView label="fitting" done={10} total={10} finished="fitted 10 series" />);
    expect(done.lastFrame()).toContain('✓ fitted 10 series');
    done.unmount();
  });
});
