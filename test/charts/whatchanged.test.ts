import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WATERFALL_COLORS, waterfallSpec, waterfallSteps } from '../../src/charts/whatchanged.js';
import { specToSvg } from '../../src/charts/render.js';
import type { WhatChangedResult } from '../../src/engines/whatchanged/index.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';
import { colourNear, decodePng, placer, pngSize, rasterize, svgSize } from './pixels.js';

/** Events per day: baseline week US 10, BR 10, DE 5; current week US 12, BR 4, DE 5 (175 -> 147). */
function eventsCsv(): string {
  const rows = ['ts,country'];
  const perDay = (week: 0 | 1): [string, number][] => (week === 0 ? [['US', 10], ['BR', 10], ['DE', 5]] : [['US', 12], ['BR', 4], ['DE', 5]]);
  for (let d = 0; d < 14; d++) {
    const ds = new Date(Date.UTC(2026, 9, 1 + d, 12)).toISOString().slice(0, 19).replace('T', ' ');
    for (const [c, n] of perDay(d < 7 ? 0 : 1)) for (let i = 0; i < n; i++) rows.push(`${ds},${c}`);
  }
  return `${rows.join('\n')}\n`;
}

const args = ['whatchanged', '--data', 'events.csv', '--time', 'ts', '--agg', 'count', '--dimensions', 'country', '--baseline', '2026-10-01..2026-10-07', '--current', '2026-10-08..2026-10-14'];

describe('whatchanged waterfall', () => {
  it('--chart draws baseline, one step per segment and current; the steps add up; SVG parses, PNG has the bars in place', { timeout: 120_000 }, async () => {
    const dir = tmpDir();
    writeFile(dir, 'events.csv', eventsCsv());
    const res = await runCli([...args, '--chart', 'wf.png', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const result = res.json<WhatChangedResult>();
    const dim = result.dimensions[0]!;
    const steps = waterfallSteps(result, dim)!;
    expect(steps.map((s) => [s.label, s.kind, s.value])).toEqual([
      ['baseline', 'total', 175],
      ['BR', 'down', -42],
      ['US', 'up', 14],
      ['DE', 'up', 0],
      ['current', 'total', 147],
    ]);
    expect(steps[1]).toMatchObject({ start: 175, end: 133 });
    expect(steps[2]).toMatchObject({ start: 133, end: 147 });

    const spec = waterfallSpec(result, dim)!;
    const svg = await specToSvg(spec);
    expect(() => rasterize(svg)).not.toThrow();
    expect(svg).toContain('What changed: rows (count)');
    const png = fs.readFileSync(path.join(dir, 'wf.png'));
    expect(pngSize(png)).toEqual(svgSize(svg));
    const img = decodePng(png);
    const at = await placer(spec, svg, { x: 'x', y: 'y' });
    expect(colourNear(img, ...at('BR', 154), WATERFALL_COLORS.down)).toBe(true);
    expect(colourNear(img, ...at('US', 140), WATERFALL_COLORS.up)).toBe(true);
    expect(colourNear(img, ...at('current', 140), WATERFALL_COLORS.total)).toBe(true);
    // The BR step stops at 133: nothing red below it.
    expect(colourNear(img, ...at('BR', 125), WATERFALL_COLORS.down)).toBe(false);

    const svgRun = await runCli([...args, '--chart', 'wf.svg'], { cwd: dir });
    expect(svgRun.code, svgRun.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'wf.svg'), 'utf8')).toMatch(/^<svg/);
  });
});
