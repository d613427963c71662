/**
 * Choropleth maps as SVG, in pure code: shapes from world-atlas (countries, 1:110m) or us-atlas
 * (states, 1:10m), projected with d3-geo (Equal Earth for the world, Albers USA for the states),
 * one path per shape filled by a quantised colour scale (equal-width buckets, a sequential
 * palette for values and a diverging one around 0 for lifts), shapes whose lift is not
 * significant hatched (an SVG pattern), a legend, a title.
 *
 *   renderMapSvg(spec)       -> one standalone SVG string (the .svg and, through resvg, the .png)
 *   mapToHtml(spec)          -> one self-contained HTML page: the same map inline, a small script
 *                               that pans and zooms the map's viewBox (wheel, drag, double-click
 *                               resets) and shows each shape's value on hover; nothing is fetched
 *   matchCode(geography, c)  -> the shape key a data code joins to (see map-join.ts)
 *
 * Shape keys: ISO alpha-2 for countries, postal codes for US states.
 */
import { createRequire } from 'node:module';
import { geoAlbersUsa, geoEqualEarth, geoPath, type GeoProjection } from 'd3-geo';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { FONT_FAMILY } from './render.js';
import { countryCode, countryName, isoCountries, postalOfFips, usStateCode, type Geography, type Unmatched } from './map-join.js';

const require = createRequire(import.meta.url);

export type { Geography, Unmatched } from './map-join.js';

/** One shape of the map and the name shown for it. */
export interface Shape {
  key: string;
  name: string;
  feature: Feature<Geometry, { name?: string }>;
}

interface Atlas {
  shapes: Shape[];
  byKey: Map<string, Shape>;
  /** Lower-case atlas names -> key (e.g. "dem. rep. congo" -> CD). */
  byName: Map<string, string>;
}

const atlases = new Map<Geography, Atlas>();

/** Shapes left off the world map (Antarctica takes a fifth of the picture and has no users). */
const WORLD_LEFT_OUT = new Set(['AQ']);

function loadAtlas(geography: Geography): Atlas {
  const cached = atlases.get(geography);
  if (cached) return cached;
  const shapes: Shape[] = [];
  if (geography === 'world') {
    const topo = require('world-atlas/countries-110m.json') as Topology<{ countries: GeometryCollection<{ name: string }> }>;
    const fc = feature(topo, topo.objects.countries) as FeatureCollection<Geometry, { name?: string }>;
    for (const f of fc.features) {
      const name = f.properties.name ?? '';
      const key = (f.id !== undefined ? isoCountries().numericToAlpha2(String(f.id)) : undefined) ?? countryCode(name);
      if (!key || WORLD_LEFT_OUT.has(key)) continue;
      shapes.push({ key, name: countryName(key), feature: f });
    }
  } else {
    const topo = require('us-atlas/states-10m.json') as Topology<{ states: GeometryCollection<{ name: string }> }>;
    const fc = feature(topo, topo.objects.states) as FeatureCollection<Geometry, { name?: string }>;
    // Albers USA draws the 50 states and DC; the territories fall outside it and are not on this map.
    const drawn = geoPath(geoAlbersUsa());
    for (const f of fc.features) {
      const key = postalOfFips(String(f.id ?? ''));
      if (key && drawn(f)) shapes.push({ key, name: f.properties.name ?? key, feature: f });
    }
  }
  const byKey = new Map(shapes.map((s) => [s.key, s]));
  const byName = new Map<string, string>();
  for (const s of shapes) {
    byName.set(s.name.toLowerCase(), s.key);
    if (s.feature.properties.name) byName.set(s.feature.properties.name.toLowerCase(), s.key);
  }
  const atlas = { shapes, byKey, byName };
  atlases.set(geography, atlas);
  return atlas;
}

/** The shape key a data code joins to, or why it joins to none. */
export function matchCode(geography: Geography, code: string): { key: string; name: string } | Unmatched {
  const atlas = loadAtlas(geography);
  const key = geography === 'world' ? (atlas.byName.get(code.trim().toLowerCase()) ?? countryCode(code)) : usStateCode(code, atlas.byName);
  if (key === null) return { code, reason: 'unknown code' };
  const shape = atlas.byKey.get(key);
  return shape ? { key, name: shape.name } : { code, reason: 'not on this map' };
}

export interface MapRegion {
  /** Shape key (alpha-2 or postal code). */
  key: string;
  /** The value coloured; null draws the shape as "no data". */
  value: number | null;
  /** Shown on hover after the name and value, e.g. a confidence interval. */
  detail?: string;
  /** false hatches the shape (a lift whose interval includes 0). */
  significant?: boolean;
}

export interface MapSpec {
  geography: Geography;
  title: string;
  subtitle?: string;
  /** Legend heading, e.g. "events per country". */
  legendTitle: string;
  /** sequential for values, diverging (around 0) for lifts. */
  scale: 'sequential' | 'diverging';
  format: 'number' | 'percent';
  regions: MapRegion[];
  /** Buckets of the colour scale, 3 to 7 (default 6). */
  buckets?: number;
  /** Equal-width buckets (default), or quantiles: about as many shapes in each (sequential scales only). */
  classes?: MapClasses;
  /** Picture width in pixels (default 960). */
  width?: number;
}

export type MapClasses = 'equal' | 'quantile';

export interface Bucket {
  /** Inclusive lower and (for the last bucket, inclusive) upper bound. */
  lo: number;
  hi: number;
  color: string;
}

/** ColorBrewer YlGnBu (sequential) and RdBu (diverging, red below 0) by number of classes. */
const SEQUENTIAL: Readonly<Record<number, readonly string[]>> = {
  1: ['#41b6c4'],
  3: ['#edf8b1', '#7fcdbb', '#2c7fb8'],
  4: ['#ffffcc', '#a1dab4', '#41b6c4', '#225ea8'],
  5: ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'],
  6: ['#ffffcc', '#c7e9b4', '#7fcdbb', '#41b6c4', '#2c7fb8', '#253494'],
  7: ['#ffffcc', '#c7e9b4', '#7fcdbb', '#41b6c4', '#1d91c0', '#225ea8', '#0c2c84'],
};
const DIVERGING: Readonly<Record<number, readonly string[]>> = {
  1: ['#f7f7f7'],
  3: ['#ef8a62', '#f7f7f7', '#67a9cf'],
  4: ['#ca0020', '#f4a582', '#92c5de', '#0571b0'],
  5: ['#ca0020', '#f4a582', '#f7f7f7', '#92c5de', '#0571b0'],
  6: ['#b2182b', '#ef8a62', '#fddbc7', '#d1e5f0', '#67a9cf', '#2166ac'],
  7: ['#b2182b', '#ef8a62', '#fddbc7', '#f7f7f7', '#d1e5f0', '#67a9cf', '#2166ac'],
};
export const NO_DATA_COLOR = '#cccccc';
const SPHERE_COLOR = '#eef3f8';
const BORDER_COLOR = '#ffffff';
const TEXT_COLOR = '#222222';

/**
 * Equal-width buckets over the values: [min, max] for a sequential scale, [-m, m] with m the
 * largest |value| for a diverging one (so 0 is a bucket boundary when the count is even).
 * Quantile classes (sequential only): breaks at the k-quantiles of the distinct values, so each
 * bucket holds about as many shapes (at most as many buckets as distinct values, at least 2 colours
 * apart: the darkest of a 3-class palette). All values equal (or none): one bucket.
 */
export function colorBuckets(values: readonly number[], scale: MapSpec['scale'], count = 6, classes: MapClasses = 'equal'): Bucket[] {
  const k = Math.round(count);
  if (!(k >= 3 && k <= 7)) throw new RangeError(`a map has 3 to 7 colour buckets, got ${count}`);
  const finite = values.filter((v) => Number.isFinite(v));
  let lo: number;
  let hi: number;
  if (scale === 'diverging') {
    const m = finite.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    lo = -m;
    hi = m;
  } else {
    lo = finite.reduce((a, v) => Math.min(a, v), Infinity);
    hi = finite.reduce((a, v) => Math.max(a, v), -Infinity);
  }
  const palette = scale === 'diverging' ? DIVERGING : SEQUENTIAL;
  if (finite.length === 0 || !(hi > lo)) {
    const v = finite.length === 0 ? 0 : lo;
    return [{ lo: v, hi: v, color: (palette[1] as readonly string[])[0] as string }];
  }
  if (classes === 'quantile' && scale === 'sequential') {
    // Breaks at the k-quantiles of the distinct values; fewer distinct values, fewer buckets.
    const sorted = [...new Set(finite)].sort((a, b) => a - b);
    const n = Math.min(k, sorted.length);
    const pick = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
    const breaks = [...new Set(Array.from({ length: n - 1 }, (_, i) => pick((i + 1) / n)))].filter((b) => b > lo);
    const edges = [lo, ...breaks, hi];
    const colors = (palette[Math.max(3, edges.length - 1)] as readonly string[]).slice(-(edges.length - 1));
    return colors.map((color, i) => ({ lo: edges[i] as number, hi: edges[i + 1] as number, color }));
  }
  const colors = palette[k] as readonly string[];
  const step = (hi - lo) / k;
  return colors.map((color, i) => ({ lo: lo + i * step, hi: i === k - 1 ? hi : lo + (i + 1) * step, color }));
}

/** Index of the bucket holding `v` (values outside the range go to the nearest end). */
export function bucketIndex(buckets: readonly Bucket[], v: number): number {
  for (let i = 0; i < buckets.length - 1; i++) if (v < (buckets[i] as Bucket).hi) return i;
  return buckets.length - 1;
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumSignificantDigits: 3 });
const full = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 });

/** A value as the map prints it: 1.23K in the legend, 1,234 on hover; percentages signed. */
export function formatMapValue(v: number, format: MapSpec['format'], short = false): string {
  if (format === 'percent') {
    const p = v * 100;
    const digits = Math.abs(p) >= 10 || short ? 0 : 1;
    const s = `${Math.abs(p).toFixed(digits)}%`;
    return p > 0 ? `+${s}` : p < 0 ? `−${s}` : s;
  }
  return (short ? compact : full).format(v);
}

export function escapeXml(s: string): string {
  // Control characters are not allowed in XML 1.0 (a parser stops at them); drop them.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export interface MapLayout {
  geography: Geography;
  width: number;
  height: number;
  /** Top of the map area (below the title). */
  mapTop: number;
  mapHeight: number;
  projection: GeoProjection;
  shapes: Shape[];
}

const TITLE_HEIGHT = 58;
const LEGEND_HEIGHT = 62;
const PAD = 12;

/** The projection and frame of a map of `width` pixels; tests project centroids with it. */
export function mapLayout(geography: Geography, width = 960): MapLayout {
  const atlas = loadAtlas(geography);
  const inner = width - 2 * PAD;
  let projection: GeoProjection;
  let mapHeight: number;
  if (geography === 'world') {
    mapHeight = Math.round(inner / 2.0557);
    projection = geoEqualEarth().fitExtent([[PAD, TITLE_HEIGHT], [width - PAD, TITLE_HEIGHT + mapHeight]], { type: 'Sphere' });
  } else {
    mapHeight = Math.round(inner * 0.62);
    const states: FeatureCollection = { type: 'FeatureCollection', features: atlas.shapes.map((s) => s.feature) };
    projection = geoAlbersUsa().fitExtent([[PAD, TITLE_HEIGHT], [width - PAD, TITLE_HEIGHT + mapHeight]], states);
  }
  return { geography, width, height: TITLE_HEIGHT + mapHeight + LEGEND_HEIGHT, mapTop: TITLE_HEIGHT, mapHeight, projection, shapes: atlas.shapes };
}

export interface RenderedMap {
  svg: string;
  width: number;
  height: number;
  buckets: Bucket[];
}

interface Parts {
  layout: MapLayout;
  buckets: Bucket[];
  defs: string;
  /** Sphere (world) and one path per shape. */
  shapes: string;
  title: string;
  legend: string;
}

function hatchId(i: number): string {
  return `map-hatch-${i}`;
}

function buildParts(spec: MapSpec): Parts {
  const width = Math.round(spec.width ?? 960);
  if (!(width >= 200 && width <= 8000)) throw new RangeError(`map width must be 200 to 8000 pixels, got ${spec.width}`);
  const layout = mapLayout(spec.geography, width);
  const byKey = new Map(spec.regions.map((r) => [r.key, r]));
  const values = spec.regions.flatMap((r) => (r.value !== null && Number.isFinite(r.value) && layout.shapes.some((s) => s.key === r.key) ? [r.value] : []));
  const buckets = colorBuckets(values, spec.scale, spec.buckets ?? 6, spec.classes ?? 'equal');
  const anyHatched = spec.regions.some((r) => r.significant === false && r.value !== null);
  const path = geoPath(layout.projection).digits(1);

  const patterns = anyHatched
    ? buckets.map(
        (b, i) =>
          `<pattern id="${hatchId(i)}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${b.color}"/><rect width="2.5" height="6" fill="#ffffff"/></pattern>`,
      )
    : [];
  const defs = patterns.length > 0 ? `<defs>${patterns.join('')}</defs>` : '';

  const out: string[] = [];
  if (spec.geography === 'world') out.push(`<path class="sphere" d="${path({ type: 'Sphere' }) ?? ''}" fill="${SPHERE_COLOR}" stroke="#d0d8e0"/>`);
  for (const s of layout.shapes) {
    const d = path(s.feature);
    if (!d) continue;
    const r = byKey.get(s.key);
    const v = r?.value ?? null;
    let fill = NO_DATA_COLOR;
    let label = 'no data';
    if (v !== null && Number.isFinite(v)) {
      const i = bucketIndex(buckets, v);
      fill = r?.significant === false ? `url(#${hatchId(i)})` : (buckets[i] as Bucket).color;
      label = formatMapValue(v, spec.format);
      if (r?.detail) label += ` ${r.detail}`;
      if (r?.significant === false) label += ' (not significant)';
    }
    const text = `${s.name}: ${label}`;
    out.push(
      `<path d="${d}" fill="${fill}" stroke="${BORDER_COLOR}" stroke-width="0.5" data-key="${escapeXml(s.key)}" data-name="${escapeXml(s.name)}" data-label="${escapeXml(label)}"><title>${escapeXml(text)}</title></path>`,
    );
  }

  const title = [
    `<text x="${PAD}" y="26" font-size="18" font-weight="bold" fill="${TEXT_COLOR}">${escapeXml(spec.title)}</text>`,
    spec.subtitle ? `<text x="${PAD}" y="46" font-size="12" fill="#555555">${escapeXml(spec.subtitle)}</text>` : '',
  ].join('');

  // Legend: a ramp of the buckets with the boundaries under it, then "no data" and "not significant".
  const y = layout.height - LEGEND_HEIGHT + 22;
  const sw = Math.min(64, Math.floor((width - 360) / buckets.length));
  const x0 = PAD + 10;
  const legend: string[] = [`<text x="${PAD}" y="${y - 6}" font-size="12" fill="${TEXT_COLOR}">${escapeXml(spec.legendTitle)}</text>`];
  buckets.forEach((b, i) => legend.push(`<rect x="${x0 + i * sw}" y="${y}" width="${sw}" height="12" fill="${b.color}" stroke="#999999" stroke-width="0.5"/>`));
  const bounds = buckets.length === 1 ? [(buckets[0] as Bucket).lo] : [...buckets.map((b) => b.lo), (buckets[buckets.length - 1] as Bucket).hi];
  bounds.forEach((v, i) => {
    const x = buckets.length === 1 ? x0 + sw / 2 : x0 + i * sw;
    legend.push(`<text x="${x}" y="${y + 26}" font-size="10" text-anchor="middle" fill="${TEXT_COLOR}">${escapeXml(formatMapValue(v, spec.format, true))}</text>`);
  });
  let x = x0 + buckets.length * sw + 28;
  legend.push(`<rect x="${x}" y="${y}" width="18" height="12" fill="${NO_DATA_COLOR}" stroke="#999999" stroke-width="0.5"/><text x="${x + 24}" y="${y + 10}" font-size="11" fill="${TEXT_COLOR}">no data</text>`);
  if (anyHatched) {
    x += 90;
    const mid = Math.floor(buckets.length / 2);
    legend.push(`<rect x="${x}" y="${y}" width="18" height="12" fill="url(#${hatchId(mid)})" stroke="#999999" stroke-width="0.5"/><text x="${x + 24}" y="${y + 10}" font-size="11" fill="${TEXT_COLOR}">not significant</text>`);
  }
  return { layout, buckets, defs, shapes: out.join('\n'), title, legend: legend.join('') };
}

/** The map as one standalone SVG document. */
export function renderMapSvg(spec: MapSpec): RenderedMap {
  const p = buildParts(spec);
  const { width, height } = p.layout;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">
<rect width="${width}" height="${height}" fill="#ffffff"/>
${p.defs}
${p.title}
<g class="map">
${p.shapes}
</g>
<g class="legend">${p.legend}</g>
</svg>
`;
  return { svg, width, height, buckets: p.buckets };
}

/** The pan, zoom and hover script of the HTML view (no network, no libraries). */
const VIEW_SCRIPT = `(() => {
  const svg = document.getElementById('map');
  const tip = document.getElementById('tip');
  const home = svg.getAttribute('viewBox').split(' ').map(Number);
  let vb = home.slice();
  const set = () => svg.setAttribute('viewBox', vb.join(' '));
  const toMap = (e) => { const r = svg.getBoundingClientRect(); return [vb[0] + (e.clientX - r.left) / r.width * vb[2], vb[1] + (e.clientY - r.top) / r.height * vb[3]]; };
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    const [mx, my] = toMap(e);
    const k = Math.min(Math.max(e.deltaY < 0 ? 0.8 : 1.25, home[2] / 40 / vb[2]), home[2] / vb[2]);
    vb = [mx - (mx - vb[0]) * k, my - (my - vb[1]) * k, vb[2] * k, vb[3] * k];
    set();
  }, { passive: false });
  let drag = null;
  svg.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, y: e.clientY }; svg.setPointerCapture(e.pointerId); svg.classList.add('dragging'); });
  svg.addEventListener('pointerup', (e) => { drag = null; svg.releasePointerCapture(e.pointerId); svg.classList.remove('dragging'); });
  svg.addEventListener('pointermove', (e) => {
    if (drag) {
      const r = svg.getBoundingClientRect();
      vb[0] -= (e.clientX - drag.x) / r.width * vb[2];
      vb[1] -= (e.clientY - drag.y) / r.height * vb[3];
      drag = { x: e.clientX, y: e.clientY };
      set();
      return;
    }
    const p = e.target.closest ? e.target.closest('path[data-name]') : null;
    if (!p) { tip.hidden = true; return; }
    tip.textContent = p.dataset.name + ': ' + p.dataset.label;
    tip.hidden = false;
    tip.style.left = (e.pageX + 12) + 'px';
    tip.style.top = (e.pageY + 12) + 'px';
  });
  svg.addEventListener('pointerleave', () => { tip.hidden = true; });
  svg.addEventListener('dblclick', () => { vb = home.slice(); set(); });
  window.mapView = { get viewBox() { return vb.slice(); }, reset() { vb = home.slice(); set(); } };
})();`;

/**
 * One self-contained HTML page: title, the map inline as SVG whose viewBox the script pans and
 * zooms, the legend, and a tooltip with each shape's value. A content security policy forbids
 * every request, so the page works offline and cannot leak anything.
 */
export function mapToHtml(spec: MapSpec): string {
  const p = buildParts(spec);
  const { width, mapTop, mapHeight, height } = p.layout;
  const legendTop = height - LEGEND_HEIGHT;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(spec.title)}</title>
<style>
body{font-family:'${FONT_FAMILY}',system-ui,sans-serif;margin:24px;color:${TEXT_COLOR}}
.frame{max-width:${width}px}
#map{width:100%;height:auto;display:block;border:1px solid #e3e8ee;cursor:grab;touch-action:none;background:#fff}
#map.dragging{cursor:grabbing}
#map path{vector-effect:non-scaling-stroke}
#map path[data-name]:hover{stroke:#222;stroke-width:1.5}
#tip{position:absolute;pointer-events:none;background:#fff;border:1px solid #999;border-radius:3px;padding:4px 8px;font-size:13px;box-shadow:0 1px 4px rgba(0,0,0,.2)}
.note{font-size:12px;color:#666}
</style>
</head><body>
<div class="frame">
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${TITLE_HEIGHT}" viewBox="0 0 ${width} ${TITLE_HEIGHT}" font-family="${FONT_FAMILY}">${p.title}</svg>
<svg id="map" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${mapHeight}" viewBox="0 ${mapTop} ${width} ${mapHeight}" role="img" aria-label="${escapeXml(spec.title)}">
${p.defs}
${p.shapes}
</svg>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${LEGEND_HEIGHT}" viewBox="0 ${legendTop} ${width} ${LEGEND_HEIGHT}" font-family="${FONT_FAMILY}">${p.legend}</svg>
<p class="note">Scroll to zoom, drag to pan, double-click to reset; hover a shape for its value.</p>
</div>
<div id="tip" hidden></div>
<script>${VIEW_SCRIPT}</script>
</body></html>
`;
}
