import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { PlainProgress, createProgress, formatCount, silentProgress } from '../../src/core/progress.js';
import { ProgressView, progressParts } from '../../src/ui/progress.js';

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
    expect(sink.text).toBe('generating events...\ngenerating events: 40/100 (40%), 1.2s\ngenerated events (2.5s)\n');
  });

  it('plain progress: real totals with separators, elapsed time, and no stray 0 for a step without a total', () => {
    const sink = new Sink();
    let now = 0;
    const p = new PlainProgress(sink, { intervalMs: 1000, now: () => now });
    p.start('generating events', 200_000);
    now = 75_000;
    p.update(120_000);
    p.stop('generated events');
    p.start('writing the store');
    now = 77_000;
    p.update(0);
    now = 79_000;
    p.update(3);
    now = 80_000;
    p.stop('wrote the store');
    expect(sink.text.split('\n')).toEqual([
      'generating events...',
      'generating events: 120,000/200,000 (60%), 1m 15s',
      'generated events (1m 15s)',
      'writing the store...',
      'writing the store: working, 2.0s',
      'writing the store: 3, 4.0s',
      'wrote the store (5.0s)',
      '',
    ]);
  });

  it('formats counts with and without a total', () => {
    expect(formatCount(3, undefined)).toBe('3');
    expect(formatCount(1, 3)).toBe('1/3 (33%)');
    expect(formatCount(10000, 20000)).toBe('10,000/20,000 (50%)');
    expect(formatCount(199_999, 200_000)).toBe('199,999/200,000 (99%)');
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
    const done = render(<ProgressView label="fitting" done={10} total={10} finished="fitted 10 series" startedAt={0} now={() => 4200} />);
    expect(done.lastFrame()).toContain('✓ fitted 10 series (4.2s)');
    done.unmount();
  });

  it('the ink view shows elapsed time; a step without a total is a spinner with the time, no stray 0', () => {
    const spin = render(<ProgressView label="asking the model" done={0} startedAt={0} now={() => 12_300} />);
    const frame = spin.lastFrame() ?? '';
    expect(frame).toContain('asking the model');
    expect(frame).toContain('12s');
    expect(frame).not.toMatch(/\b0\b/);
    expect(frame).not.toContain('░');
    spin.unmount();
    const bar = render(<ProgressView label="generating events" done={50_000} total={200_000} startedAt={0} now={() => 10_000} />);
    expect(bar.lastFrame()).toContain('50,000/200,000 (25%)');
    expect(bar.lastFrame()).toContain('10s, ~30s left');
    bar.unmount();
  });

  it('a progress line fits a narrow terminal: the bar shrinks or goes, then the label is cut', () => {
    for (const width of [100, 60, 40]) {
      const p = progressParts({ label: 'assigning units to experiments in the project store', done: 1234, total: 20_000, elapsedMs: 65_000, width });
      const line = `⠋ ${p.label} ${'█'.repeat(p.filled)}${'░'.repeat(p.empty)}${p.filled + p.empty ? ' ' : ''}${p.count}  ${p.time}`;
      expect([...line].length).toBeLessThanOrEqual(width);
      expect(p.count).toBe('1,234/20,000 (6%)');
    }
  });
});
