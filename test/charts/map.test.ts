import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { countryCode, countrySpellings, usStateCode } from '../../src/charts/map-join.js';
import { bucketIndex, colorBuckets, formatMapValue, mapLayout, mapToHtml, matchCode, renderMapSvg, type MapSpec } from '../../src/charts/map.js';
import { mapFormatOf, mapSpecOf } from '../../src/charts/map-service.js';

describe('map join', () => {
  it('reads ISO alpha-2, alpha-3, numeric and English names', () => {
    expect(['DE', 'de', 'DEU', '276', 'Germany', ' germany '].map(countryCode)).toEqual(['DE', 'DE', 'DE', 'DE', 'DE', 'DE']);
    expect(['36', '036', 'AUS', 'Australia'].map(countryCode)).toEqual(['AU', 'AU', 'AU', 'AU']);
    expect(countryCode('United States of America')).toBe('US');
    expect(countryCode('UK')).toBe('GB');
    expect(['XX', 'ZZZ', '999', 'Atlantis', ''].map(countryCode)).toEqual([null, null, null, null, null]);
  });

  it('joins to the shapes of the world map, and says why a code does not join', () => {
    expect(matchCode('world', 'USA')).toEqual({ key: 'US', name: 'United States of America' });
    // The atlas's own abbreviations work too.
    expect(matchCode('world', 'Dem. Rep. Congo')).toMatchObject({ key: 'CD' });
    expect(matchCode('world', 'Kosovo')).toMatchObject({ key: 'XK' });
    expect(matchCode('world', 'SG')).toEqual({ code: 'SG', reason: 'not on this map' });
    expect(matchCode('world', 'AQ')).toEqual({ code: 'AQ', reason: 'not on this map' });
    expect(matchCode('world', 'nope')).toEqual({ code: 'nope', reason: 'unknown code' });
  });

  it('reads US states as postal code, FIPS or name', () => {
    const names = new Map([['california', 'CA']]);
    expect(['CA', 'ca', 'C.A.', '06', '6', 'California'].map((c) => usStateCode(c, names))).toEqual(['CA', 'CA', 'CA', 'CA', 'CA', 'CA']);
    expect(['ZZ', '99', 'Narnia'].map((c) => usStateCode(c, names))).toEqual([null, null, null]);
    expect(matchCode('us-states', 'New York')).toEqual({ key: 'NY', name: 'New York' });
    expect(matchCode('us-states', '48')).toMatchObject({ key: 'TX' });
    // Territories are ISO-valid but outside the Albers USA projection.
    expect(matchCode('us-states', 'PR')).toEqual({ code: 'PR', reason: 'not on this map' });
    expect(matchCode('us-states', 'Hawaii')).toMatchObject({ key: 'HI' });
  });

  it('lists the spellings of a country for a SQL filter', () => {
    expect(countrySpellings('US')).toEqual(expect.arrayContaining(['us', 'usa', '840', 'united states of america', 'united states']));
  });
});

describe('colour buckets', () => {
  it('equal-width sequential buckets from min to max', () => {
    const b = colorBuckets([5, 60, 10, 20], 'sequential', 6);
    expect(b).toHaveLength(6);
    expect(b[0]?.lo).toBe(5);
    expect(b[5]?.hi).toBe(60);
    expect([5, 10, 20, 35, 45, 60, 1000, -3].map((v) => bucketIndex(b, v))).toEqual([0, 0, 1, 3, 4, 5, 5, 0]);
  });

  it('diverging buckets are symmetric around 0', () => {
    const b = colorBuckets([-0.5, 1, 0], 'diverging', 6);
    expect([b[0]?.lo, b[5]?.hi]).toEqual([-1, 1]);
    expect(b[3]?.lo).toBeCloseTo(0, 12);
    expect([-1, -0.5, -0.01, 0, 0.5, 1].map((v) => bucketIndex(b, v))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('quantile classes put about as many values in each bucket', () => {
    const values = [76, 84, 87, 115, 138, 402, 79];
    const b = colorBuckets(values, 'sequential', 6, 'quantile');
    expect(b.length).toBeGreaterThanOrEqual(5);
    expect(b[0]?.lo).toBe(76);
    expect(b[b.length - 1]?.hi).toBe(402);
    const counts = b.map((_, i) => values.filter((v) => bucketIndex(b, v) === i).length);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    expect(counts.every((c) => c >= 1)).toBe(true);
    // Equal widths put all but one of these skewed values in the first bucket.
    const e = colorBuckets(values, 'sequential', 6);
    expect(values.filter((v) => bucketIndex(e, v) === 0)).toHaveLength(5);
    // A lift map stays symmetric around 0 whatever the classes.
    expect(colorBuckets([-0.5, 1], 'diverging', 6, 'quantile')[0]?.lo).toBe(-1);
    expect(colorBuckets([1, 2], 'sequential', 6, 'quantile')).toHaveLength(2);
  });

  it('one bucket when all values are equal; 3 to 7 buckets only', () => {
    expect(colorBuckets([4, 4], 'sequential', 5)).toHaveLength(1);
    expect(colorBuckets([], 'diverging', 5)).toHaveLength(1);
    expect(() => colorBuckets([1, 2], 'sequential', 9)).toThrow(/3 to 7/);
  });

  it('formats values for the legend and the hover text', () => {
    expect(formatMapValue(1234, 'number')).toBe('1,234');
    expect(formatMapValue(1234, 'number', true)).toBe('1.23K');
    expect(formatMapValue(0.031, 'percent')).toBe('+3.1%');
    expect(formatMapValue(-0.5, 'percent')).toBe('−50%');
  });
});

describe('map SVG and HTML', () => {
  const spec: MapSpec = {
    geography: 'world',
    title: 'Title <script>alert(1)</script> & \u001b[31m "quotes"',
    legendTitle: 'events',
    scale: 'sequential',
    format: 'number',
    regions: [
      { key: 'US', value: 10 },
      { key: 'FR', value: 5, significant: false },
    ],
  };

  it('renders SVG that parses, with escaped text and a hatched pattern only when needed', () => {
    const { svg, width, height } = renderMapSvg(spec);
    const r = new Resvg(svg);
    expect([r.width, r.height]).toEqual([width, height]);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('Title &lt;script&gt;');
    expect(svg).not.toContain('\u001b');
    expect(svg).toMatch(/data-key="FR" [^>]*/);
    expect(svg).toMatch(/fill="url\(#map-hatch-0\)"[^>]*data-key="FR"/);
    expect(renderMapSvg({ ...spec, regions: [{ key: 'US', value: 1 }] }).svg).not.toContain('<pattern');
  });

  it('the layout sizes follow the width', () => {
    expect(mapLayout('world', 480).width).toBe(480);
    expect(mapLayout('world', 960).height).toBeGreaterThan(mapLayout('world', 480).height);
    expect(() => renderMapSvg({ ...spec, width: 50 })).toThrow(/200 to 8000/);
  });

  it('HTML is one file: no external script, style or image, a CSP that forbids requests', () => {
    const html = mapToHtml(spec);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('id="map"');
  });

  it('the output format comes from the file name', () => {
    expect(['a.svg', 'b.PNG', 'c/d.html'].map(mapFormatOf)).toEqual(['svg', 'png', 'html']);
    expect(() => mapFormatOf('x.jpg')).toThrow(/\.svg, \.png or \.html/);
  });

  it('an experiment map is diverging, in percent, with the CI in the hover text', () => {
    const s = mapSpecOf({
      metric: 'checkout',
      agg: 'count',
      by: 'country',
      geography: 'world',
      country: null,
      column: 'users.country',
      period: null,
      experiment: { name: 'exp1', control: 'control', variant: 'treatment', alpha: 0.05 },
      value_label: 'relative lift',
      regions: [{ key: 'DE', name: 'Germany', codes: ['DE'], value: 0.1, n: 10, ci: [-0.2, 0.4], significant: false }],
      unmatched: [{ code: 'XX', reason: 'unknown code', n: 2 }],
      missing: 0,
      notes: [],
    });
    expect(s).toMatchObject({ scale: 'diverging', format: 'percent' });
    expect(s.regions[0]).toEqual({ key: 'DE', value: 0.1, detail: '[−20%, +40%]', significant: false });
    expect(s.subtitle).toContain('unmatched: XX');
    expect(s.subtitle).toContain('hatched: 95% CI includes 0');
  });
});
