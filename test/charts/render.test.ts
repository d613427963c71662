import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { specToSvg, specsToHtml, svgToPng } from '../../src/charts/render.js';

const spec: TopLevelSpec = {
  width: 200,
  height: 100,
  data: { values: [{ x: 'a', y: 1 }, { x: 'b', y: 3 }] },
  mark: 'bar',
  encoding: { x: { field: 'x', type: 'nominal' }, y: { field: 'y', type: 'quantitative' }, color: { value: '#ff0000' } },
};

describe('charts render', () => {
  it('renders a Vega-Lite spec to SVG and to a PNG of the SVG size', async () => {
    const svg = await specToSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('DejaVu Sans');
    const png = svgToPng(svg);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    const width = png.readUInt32BE(16);
    const m = /width="(\d+)"/.exec(svg);
    expect(width).toBe(Number(m?.[1]));
    expect(svgToPng(svg, { width: 600 }).readUInt32BE(16)).toBe(600);
  });

  it('refuses to fetch data by URL', async () => {
    await expect(specToSvg({ ...spec, data: { url: 'http://127.0.0.1:9/x.json' } })).rejects.toThrow(/inline/);
  });

  it('writes self-contained HTML with the spec and no external script', () => {
    const html = specsToHtml([spec], { title: 'A <test>' });
    expect(html).toContain('A &lt;test&gt;');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('vegaEmbed');
  });
});
