import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { fitTable, hiddenNote, renderTable } from '../../src/ui/table.js';
import { visibleLength } from '../../src/ui/format.js';

const widest = (text: string): number => Math.max(...text.split('\n').map(visibleLength));

const rows = Array.from({ length: 5 }, (_, i) => ({
  experiment: `a_rather_long_experiment_name_${i < 3 ? 'one' : 'two'}`,
  metric: `metric_with_a_long_name_${i}`,
  estimate: 1.23456 * (i + 1),
  ci: `${-i}.123..${i}.456`,
  raw: 'x'.repeat(20),
  note: 'n',
}));
const cols = ['experiment', 'metric', 'estimate', 'ci', 'raw', 'note'];

describe('fitTable', () => {
  it('leaves a table alone without a width (plain and stable, as before)', () => {
    const t = fitTable(cols, rows);
    expect(t.hidden).toEqual([]);
    expect(widest(t.text)).toBeGreaterThan(100);
    expect(t.text).toBe(renderTable(cols, rows));
  });

  it('hides the droppable columns in order, only as many as needed', () => {
    const full = widest(renderTable(cols, rows));
    const t = fitTable(cols, rows, { width: full - 5, drop: ['raw', 'note', 'ci'] });
    expect(t.hidden).toEqual(['raw']);
    expect(t.text).not.toContain('xxxxx');
    expect(widest(t.text)).toBeLessThanOrEqual(full - 5);
  });

  it('fits 80 and 40 columns: drops, then shrinks names with an ellipsis, then cuts', () => {
    for (const width of [80, 60, 40]) {
      const t = fitTable(cols, rows, { width, drop: ['raw', 'note'], shrink: ['experiment', 'metric'] });
      expect(widest(t.text)).toBeLessThanOrEqual(width);
      expect(t.hidden).toEqual(['raw', 'note']);
    }
    expect(fitTable(cols, rows, { width: 80, drop: ['raw', 'note'], shrink: ['experiment', 'metric'] }).text).toContain('…');
  });

  it('groupBy turns a repeated column into heading lines', () => {
    const t = fitTable(cols, rows, { groupBy: 'experiment' });
    const lines = t.text.split('\n');
    expect(lines.filter((l) => l === 'a_rather_long_experiment_name_one')).toHaveLength(1);
    expect(lines.filter((l) => l === 'a_rather_long_experiment_name_two')).toHaveLength(1);
    expect(lines[0]).not.toContain('experiment');
  });

  it('a group heading wider than the table wraps between words; its numbers are never cut', () => {
    const heading = 'plan / product_view:event_count (personalized): Q = 2.289, df = 2, p = 0.3184, BH p = 0.6030, I2 = 69%';
    const t = fitTable(['h', 'segment', 'lift'], [{ h: heading, segment: 'guest', lift: '+1.0%' }], { groupBy: 'h', width: 60 });
    expect(widest(t.text)).toBeLessThanOrEqual(60);
    expect(t.text).not.toContain('…');
    const lines = t.text.split('\n');
    const start = lines.findIndex((l) => l.startsWith('plan /'));
    // Joined back, the heading is whole: every number intact.
    expect(`${lines[start]} ${lines[start + 1]?.trim()}`).toBe(heading);
    expect(lines[start + 1]).toMatch(/^ {2}\S/);
  });

  it('paint colours cells without changing the visible width; no colour, no escape codes', () => {
    const c = new Chalk({ level: 1 });
    const painted = fitTable(cols, rows, { width: 100, drop: ['raw'], paint: (col, _r, s) => (col === 'estimate' ? c.green(s) : s) });
    const plain = fitTable(cols, rows, { width: 100, drop: ['raw'] });
    expect(painted.text).toContain('\x1b[32m');
    expect(plain.text).not.toContain('\x1b[');
    expect(painted.text.split('\n').map(visibleLength)).toEqual(plain.text.split('\n').map(visibleLength));
  });

  it('says what was hidden and how to see it', () => {
    expect(hiddenNote([], 80)).toBeNull();
    expect(hiddenNote(['raw CI', 'raw p'], 80)).toBe('(raw CI, raw p hidden to fit 80 columns; --wide shows every column)');
  });
});

describe('fitTable drop groups', () => {
  it('hides a group of columns together (control and test mean nothing apart)', () => {
    const rs = [{ metric: 'revenue_per_user', control: 12.345, test: 13.456, lift: '+9.0%' }];
    const full = widest(renderTable(['metric', 'control', 'test', 'lift'], rs));
    const t = fitTable(['metric', 'control', 'test', 'lift'], rs, { width: full - 3, drop: [['control', 'test']] });
    expect(t.hidden).toEqual(['control', 'test']);
    expect(t.text).not.toContain('13.456');
    expect(t.text).not.toContain('12.345');
  });
});
