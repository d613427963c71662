import fs from 'node:fs';
import path from 'node:path';
import { geoContains, geoPath } from 'd3-geo';
import type { Feature, Geometry, MultiPolygon, Polygon } from 'geojson';
import { beforeAll, describe, expect, it } from 'vitest';
import { Resvg } from '@resvg/resvg-js';
import { mapLayout, type Geography } from '../../src/charts/map.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { EXPECTED_BUCKET, NO_COUNTRY_EVENTS, RDBU_6, YLGNBU_6, buildMapStore, decodePng, hex, nearest, pixelAt, type DecodedPng } from './map-fixtures.js';

let dir = '';
let db = '';

beforeAll(async () => {
  ({ dir, file: db } = await buildMapStore());
}, 60_000);

const cli = (args: string[]) => runCli(['map', '--db', db, ...args], { cwd: dir, env: baseEnv() });

/** A point inside the shape: the planar centroid of its largest polygon, projected as the map projects it. */
function samplePoint(geography: Geography, key: string, width = 960): [number, number] {
  const layout = mapLayout(geography, width);
  const shape = layout.shapes.find((s) => s.key === key);
  if (!shape) throw new Error(`no shape ${key}`);
  const path = geoPath(layout.projection);
  const g = shape.feature.geometry as Polygon | MultiPolygon;
  const polygons: Feature<Geometry>[] = g.type === 'Polygon' ? [shape.feature] : g.coordinates.map((coordinates) => ({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates } }));
  const largest = polygons.reduce((a, b) => (path.area(b) > path.area(a) ? b : a));
  const pt = path.centroid(largest);
  const lonlat = layout.projection.invert?.(pt);
  expect(lonlat && geoContains(shape.feature, lonlat), `the sample point of ${key} lies inside it`).toBe(true);
  return pt;
}

function bucketAt(img: DecodedPng, geography: Geography, key: string, palette: string[]) {
  const [x, y] = samplePoint(geography, key, img.width);
  return nearest(pixelAt(img, x, y), palette);
}

describe('map command: values by country', () => {
  it('writes a PNG of the expected size whose countries have their bucket colour', async () => {
    const r = await cli(['--metric', 'purchase', '--out', 'purchases.png']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const img = decodePng(fs.readFileSync(path.join(dir, 'purchases.png')));
    expect(img.width).toBe(960);
    expect(img.height).toBe(mapLayout('world', 960).height);
    for (const [key, bucket] of Object.entries(EXPECTED_BUCKET)) {
      const hit = bucketAt(img, 'world', key, [...YLGNBU_6, '#cccccc']);
      expect({ key, bucket: hit.index }).toEqual({ key, bucket });
      expect(hit.distance).toBeLessThan(3);
    }
    // A country without data is grey; China has no purchases.
    expect(bucketAt(img, 'world', 'CN', [...YLGNBU_6, '#cccccc']).index).toBe(6);
    expect(r.stdout).toMatch(/wrote purchases\.png \(PNG, 960x\d+/);
  });

  it('--width scales the picture', async () => {
    const r = await cli(['--metric', 'purchase', '--width', '480', '--out', 'small.png']);
    expect(r.code).toBe(0);
    const img = decodePng(fs.readFileSync(path.join(dir, 'small.png')));
    expect([img.width, img.height]).toEqual([480, mapLayout('world', 480).height]);
    expect(bucketAt(img, 'world', 'US', YLGNBU_6).index).toBe(5);
  });

  it('joins alpha-2, alpha-3 and names, and lists the unmatched codes (JSON)', async () => {
    const r = await cli(['--metric', 'purchase', '--out', 'p.svg', '--json']);
    expect(r.code).toBe(0);
    const j = r.json();
    const us = j.regions.find((x: { key: string }) => x.key === 'US');
    expect(us).toMatchObject({ value: 60, n: 60 });
    expect([...us.codes].sort()).toEqual(['US', 'USA']);
    expect(j.regions.find((x: { key: string }) => x.key === 'BR')).toMatchObject({ value: 35 });
    expect(j.unmatched).toEqual([
      { code: 'XX', reason: 'unknown code', n: 3 },
      { code: 'SG', reason: 'not on this map', n: 2 },
    ]);
    expect(j.missing).toBe(NO_COUNTRY_EVENTS);
    expect(j).toMatchObject({ file: path.join(dir, 'p.svg'), format: 'svg', agg: 'count', geography: 'world' });
    expect(j.buckets.map((b: { color: string }) => b.color)).toEqual(YLGNBU_6);
    // The SVG parses (resvg's XML parser is strict) and has one path per country plus the sphere.
    const svg = fs.readFileSync(path.join(dir, 'p.svg'), 'utf8');
    expect(new Resvg(svg).width).toBe(960);
    expect(svg).toContain('data-key="US"');
    expect(svg).toContain('<title>United States of America: 60</title>');
  });

  it('lists the unmatched codes in the human output too', async () => {
    const r = await cli(['--metric', 'purchase']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/unmatched codes \(2\): XX \(unknown code, 3 events\), SG \(not on this map, 2 events\)/);
    expect(r.stdout).toMatch(/4 events without a country/);
    expect(r.stdout).toMatch(/US\s+United States of America\s+60/);
  });

  it('sum and mean of values, and --period', async () => {
    const sum = (await cli(['--metric', 'purchase', '--agg', 'sum', '--json'])).json();
    expect(sum.regions.find((x: { key: string }) => x.key === 'AU').value).toBe(90);
    const mean = (await cli(['--metric', 'purchase', '--agg', 'mean', '--json'])).json();
    expect(mean.regions.every((x: { value: number }) => x.value === 2)).toBe(true);
    const all = (await cli(['--metric', 'purchase', '--json'])).json();
    const oct = (await cli(['--metric', 'purchase', '--period', '2026-10-01..2026-10-31', '--json'])).json();
    const jp = (d: { regions: { key: string; value: number }[] }) => d.regions.find((x) => x.key === 'JP')?.value;
    expect([jp(all), jp(oct)]).toEqual([6, 5]);
    expect(oct.period.label).toBe('2026-10-01..2026-10-31');
  });
});

describe('map command: stored metrics', () => {
  it('a stored sum metric maps its event with its aggregation; an unsupported type says what to do', async () => {
    const j = (await cli(['--metric', 'revenue', '--json'])).json();
    expect(j.agg).toBe('sum');
    expect(j.regions.find((x: { key: string }) => x.key === 'AU').value).toBe(90);
    const bad = await cli(['--metric', 'buyers']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/event_user metric/);
    expect(bad.stderr).toMatch(/--metric purchase --agg/);
  });
});

describe('map command: experiment lift', () => {
  it('maps the lift per country with a CI and hatches the non-significant ones', async () => {
    const r = await cli(['--metric', 'checkout', '--experiment', 'exp1', '--variant', 'treatment', '--out', 'lift.png', '--json']);
    expect(r.code).toBe(0);
    const j = r.json();
    const by = (k: string) => j.regions.find((x: { key: string }) => x.key === k);
    expect(by('US').value).toBeCloseTo(1, 10);
    expect(by('US')).toMatchObject({ significant: true, n_control: 201, n_test: 201, codes: ['US'] });
    expect(by('US').ci[0]).toBeGreaterThan(0);
    expect(by('BR').value).toBeCloseTo(-0.5, 10);
    expect(by('BR').significant).toBe(true);
    expect(by('DE').value).toBeCloseTo(0, 10);
    expect(by('DE').significant).toBe(false);
    expect(by('DE').ci[0]).toBeLessThan(0);
    expect(by('DE').ci[1]).toBeGreaterThan(0);
    expect(j.experiment).toEqual({ name: 'exp1', control: 'control', variant: 'treatment', alpha: 0.05 });
    // The table reads like every other command: lifts to 0.1% with an ASCII minus, units with separators.
    const human = await cli(['--metric', 'checkout', '--experiment', 'exp1', '--variant', 'treatment']);
    expect(human.stdout).toMatch(/^BR\s.*-50\.0%/m);
    expect(human.stdout).toMatch(/^US\s.*\+100\.0%/m);
    expect(human.stdout).not.toContain('−');
    // The hatching, the p-value and the CI come from one test: significant exactly when the CI excludes 0.
    for (const x of j.regions as { ci?: [number, number]; p_value?: number; significant?: boolean }[]) {
      if (!x.ci) continue;
      expect(x.significant).toBe(x.ci[0] > 0 || x.ci[1] < 0);
      expect(x.significant).toBe((x.p_value ?? 1) < 0.05);
    }
    const img = decodePng(fs.readFileSync(path.join(dir, 'lift.png')));
    expect(bucketAt(img, 'world', 'US', RDBU_6)).toMatchObject({ index: 5 });
    expect(bucketAt(img, 'world', 'BR', RDBU_6)).toMatchObject({ index: 1 });
    // Germany is hatched: around its centre both its bucket colour and the white stripes show.
    const [x, y] = samplePoint('world', 'DE');
    const seen = new Set<string>();
    for (let dx = -3; dx <= 3; dx++) for (let dy = -3; dy <= 3; dy++) seen.add(pixelAt(img, x + dx, y + dy).join(','));
    expect(seen.has(hex(RDBU_6[3] as string).join(','))).toBe(true);
    expect(seen.has('255,255,255')).toBe(true);
  });

  it('the variant defaults to the only one; an unknown variant is a one-line error', async () => {
    const ok = await cli(['--metric', 'checkout', '--experiment', 'exp1', '--json']);
    expect(ok.json().experiment.variant).toBe('treatment');
    const bad = await cli(['--metric', 'checkout', '--experiment', 'exp1', '--variant', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no variant "nope"/);
    expect(bad.stderr).toMatch(/variants: treatment/);
  });
});

describe('map command: US states', () => {
  it('--by region --country US draws states joined on names, postal and FIPS codes', async () => {
    const r = await cli(['--metric', 'dau', '--by', 'region', '--country', 'US', '--period', '2026-10-10..2026-10-11', '--out', 'states.png', '--json']);
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.geography).toBe('us-states');
    expect(j.column).toBe('users.attributes.region');
    const v = Object.fromEntries(j.regions.map((x: { key: string; value: number }) => [x.key, x.value]));
    expect(v).toEqual({ CA: 4, TX: 2, NY: 1 });
    expect(j.unmatched).toEqual([{ code: 'Narnia', reason: 'unknown code', n: 1 }]);
    const img = decodePng(fs.readFileSync(path.join(dir, 'states.png')));
    expect(img.height).toBe(mapLayout('us-states', 960).height);
    // Buckets over 1..4: NY in the first, TX in 2 (2 is at 1 + 2 * 0.5), CA in the last.
    expect(bucketAt(img, 'us-states', 'CA', YLGNBU_6).index).toBe(5);
    expect(bucketAt(img, 'us-states', 'TX', YLGNBU_6).index).toBe(2);
    expect(bucketAt(img, 'us-states', 'NY', YLGNBU_6).index).toBe(0);
  });
});

describe('map command: bad input', () => {
  const oneLine = (stderr: string) => stderr.trim().split('\n').filter((l) => !/^\s*hint|^\s{2}/i.test(l));
  it('an unknown metric names the events there are', async () => {
    const r = await cli(['--metric', 'purchases', '--out', 'x.png']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown metric "purchases"/);
    expect(r.stderr).toMatch(/did you mean "purchase"\? events: .*purchase/);
    expect(r.stderr).toMatch(/metrics: buyers, revenue/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(oneLine(r.stderr).length).toBeLessThanOrEqual(2);
    expect(fs.existsSync(path.join(dir, 'x.png'))).toBe(false);
  });

  it('a bad --period', async () => {
    const r = await cli(['--metric', 'purchase', '--period', '2026-13-01..2026-10-31']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--period/);
    expect(r.stderr).toMatch(/2026-10-01\.\.2026-10-07/);
  });

  it('an output that is not svg, png or html', async () => {
    const r = await cli(['--metric', 'purchase', '--out', 'map.jpg']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.svg, \.png or \.html/);
  });

  it('no country column: the error says so and how to fix it', async () => {
    const { Store } = await import('../../src/store/store.js');
    const file = path.join(dir, 'nocountry.duckdb');
    const s = await Store.open(file, { create: true });
    await s.run(`INSERT INTO users (unit_id, country) VALUES ('a', NULL)`);
    await s.run(`INSERT INTO events (unit_id, event, ts) VALUES ('a', 'visit', TIMESTAMP '2026-10-01 00:00:00')`);
    s.close();
    const r = await runCli(['map', '--db', file, '--metric', 'visit', '--json'], { cwd: dir, env: baseEnv() });
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ error: { code: 'MAP_NO_COUNTRY' } });
    const h = await runCli(['map', '--db', file, '--metric', 'visit'], { cwd: dir, env: baseEnv() });
    expect(h.stderr).toMatch(/no country for any of the events: users.country is empty/);
    expect(h.stderr).toMatch(/import users with a country column/);
  });

  it('hostile place codes are escaped in the SVG and HTML and stripped in the text', async () => {
    const { Store } = await import('../../src/store/store.js');
    const file = path.join(dir, 'hostile.duckdb');
    const s = await Store.open(file, { create: true });
    const codes = ['<img src=x onerror=alert(1)>', 'DE\u001b]0;pwned\u0007\u001b[31m', 'FR'];
    for (const [i, code] of codes.entries()) {
      await s.run(`INSERT INTO users (unit_id, country) VALUES ($1, $2)`, [`h${i}`, code]);
      await s.run(`INSERT INTO events (unit_id, event, ts) VALUES ($1, 'visit', TIMESTAMP '2026-10-01 00:00:00')`, [`h${i}`]);
    }
    s.close();
    const run = (args: string[]) => runCli(['map', '--db', file, '--metric', 'visit', ...args], { cwd: dir, env: baseEnv() });
    const text = await run(['--out', 'hostile.html']);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toContain('\u001b');
    expect(text.stdout).not.toContain('\u0007');
    expect(text.stdout).toMatch(/unmatched codes \(2\)/);
    const html = fs.readFileSync(path.join(dir, 'hostile.html'), 'utf8');
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('\u001b');
    expect(html).toContain('&lt;img src=x');
    expect((await run(['--out', 'hostile.svg'])).code).toBe(0);
    const svg = fs.readFileSync(path.join(dir, 'hostile.svg'), 'utf8');
    expect(new Resvg(svg).width).toBe(960);
    expect(svg).not.toMatch(/<img/i);
    const j = (await run(['--json'])).json();
    expect(j.unmatched.map((u: { code: string }) => u.code).sort()).toEqual([...codes.slice(0, 2)].sort());
  });

  it('--by region for a country without a region map', async () => {
    const r = await cli(['--metric', 'dau', '--by', 'region', '--country', 'DE']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/US only/);
  });
});
