/** Labels come from data files (segment values, group names, metric names): hostile text must not break a picture. */
import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { renderChartFile, specToSvg, svgToPng } from '../../src/charts/render.js';
import { pngSize, rasterize } from './pixels.js';

const nasty = ['BR\u0001\u0008x', '</script><script>alert(1)</script>', 'a & b <c> "d"', 'line\u001bbreak'];
const spec: TopLevelSpec = {
  title: { text: `metric \u0002 ${nasty[1]}`, subtitle: nasty },
  width: 300,
  height: 120,
  data: { values: nasty.map((label, i) => ({ label, v: i + 1 })) },
  mark: 'bar',
  encoding: { x: { field: 'label', type: 'nominal' }, y: { field: 'v', type: 'quantitative' } },
};

describe('hostile labels', () => {
  // Regression: a control character in a data value went into the SVG as is, which is not XML
  // (resvg and every XML parser refuse it), so the SVG and PNG outputs failed.
  it('control characters are dropped from the SVG, which stays XML and renders to PNG', async () => {
    const svg = await specToSvg(spec);
    expect([...svg].filter((c) => c.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(c))).toEqual([]);
    expect(() => rasterize(svg)).not.toThrow();
    expect(pngSize(svgToPng(svg)).width).toBeGreaterThan(300);
    expect(svg).not.toContain('<script>');
  });

  it('the HTML page embeds labels as data: no tag can close the script', async () => {
    const html = (await renderChartFile('html', [spec], { title: nasty[1] ?? '' })) as string;
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).toContain('\\u003c/script>\\u003cscript>alert(1)');
  });
});
