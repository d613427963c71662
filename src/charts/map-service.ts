/**
 * The map feature: the store's numbers (map-data.ts) drawn as a choropleth (map.ts) and written
 * as SVG, PNG or a self-contained HTML page, chosen by the file's extension.
 *
 *   const written = await writeMap(store, { metric: 'dau', by: 'country' }, 'dau-map.png');
 *
 * Plain data in and out; nothing printed. The demo calls writeMap for its DAU-by-country map.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, UserError, errorMessage } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { mapData, type MapData, type MapQuery } from './map-data.js';
import { formatMapValue, mapToHtml, renderMapSvg, type Bucket, type MapClasses, type MapSpec } from './map.js';
import { svgToPng } from './render.js';

export type { MapData, MapQuery, MapRegionResult, MapAgg } from './map-data.js';
export { MAP_AGGS, mapData } from './map-data.js';

export type MapFormat = 'svg' | 'png' | 'html';
export const MAP_FORMATS: readonly MapFormat[] = ['svg', 'png', 'html'];

export interface MapDrawOptions {
  /** Colour buckets, 3 to 7 (default 6). */
  buckets?: number | undefined;
  /** Picture width in pixels (default 960). */
  width?: number | undefined;
  /** Equal-width buckets (default) or quantiles (value maps; a lift map stays symmetric around 0). */
  classes?: MapClasses | undefined;
  /** Title instead of the one made from the metric. */
  title?: string | undefined;
}

export interface WrittenMap extends MapData {
  file: string;
  format: MapFormat;
  width: number;
  height: number;
  bytes: number;
  buckets: Bucket[];
}

/** The output format a file name asks for; a UsageError for any other extension. */
export function mapFormatOf(file: string): MapFormat {
  const ext = path.extname(file).slice(1).toLowerCase();
  if ((MAP_FORMATS as readonly string[]).includes(ext)) return ext as MapFormat;
  throw new UsageError(`--out ${path.basename(file)}: a map is written as .svg, .png or .html`, { hint: 'e.g. --out map.png (picture), --out map.svg, or --out map.html (pan, zoom and hover)' });
}

function pct(x: number | null): string {
  return x === null ? '∞' : formatMapValue(x, 'percent');
}

/** The drawing of a map's numbers: title, legend, colours, hatching. */
export function mapSpecOf(data: MapData, draw: MapDrawOptions = {}): MapSpec {
  const place = data.by === 'country' ? 'country' : `state (${data.country ?? 'US'})`;
  const what =
    data.agg === 'dau' ? 'Daily active units' : data.agg === 'count' ? `${data.metric} events` : data.agg === 'sum' ? `${data.metric} (sum of values)` : `${data.metric} (mean value per event)`;
  const e = data.experiment;
  const title = draw.title ?? (e ? `${e.name}: lift of ${e.variant} vs ${e.control} in ${data.agg === 'dau' ? 'active days' : data.metric} by ${place}` : `${what} by ${place}`);
  const parts: string[] = [];
  if (data.period) parts.push(data.period.label);
  parts.push(`${data.regions.filter((r) => r.value !== null).length} ${data.by === 'country' ? 'countries' : 'states'} with data`);
  if (e) parts.push(`hatched: ${Math.round((1 - e.alpha) * 100)}% CI includes 0`);
  if (data.unmatched.length > 0) parts.push(`unmatched: ${data.unmatched.slice(0, 6).map((u) => u.code).join(', ')}${data.unmatched.length > 6 ? ', ...' : ''}`);
  return {
    geography: data.geography,
    title,
    subtitle: parts.join(' · '),
    legendTitle: data.value_label,
    scale: e ? 'diverging' : 'sequential',
    format: e ? 'percent' : 'number',
    regions: data.regions.map((r) => ({
      key: r.key,
      value: r.value,
      ...(r.ci ? { detail: `[${pct(r.ci[0])}, ${pct(r.ci[1])}]` } : {}),
      ...(r.significant !== undefined ? { significant: r.significant } : {}),
    })),
    ...(draw.buckets !== undefined ? { buckets: draw.buckets } : {}),
    ...(draw.width !== undefined ? { width: draw.width } : {}),
    ...(draw.classes !== undefined ? { classes: draw.classes } : {}),
  };
}

/** The file contents of a map in a format. */
export function renderMapFile(spec: MapSpec, format: MapFormat): { content: string | Buffer; width: number; height: number; buckets: Bucket[] } {
  const rendered = renderMapSvg(spec);
  const content = format === 'svg' ? rendered.svg : format === 'png' ? svgToPng(rendered.svg) : mapToHtml(spec);
  return { content, width: rendered.width, height: rendered.height, buckets: rendered.buckets };
}

/** Computes the map of `query` from the store and writes it to `file` (format from its extension). */
export async function writeMap(store: Store, query: MapQuery, file: string, draw: MapDrawOptions = {}): Promise<WrittenMap> {
  const format = mapFormatOf(file);
  const data = await mapData(store, query);
  const out = renderMapFile(mapSpecOf(data, draw), format);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, out.content);
  } catch (error) {
    throw new UserError(`cannot write the map to ${file}: ${errorMessage(error)}`, { hint: 'pass --out with a writable path', code: 'MAP_WRITE', cause: error });
  }
  return { ...data, file, format, width: out.width, height: out.height, bytes: Buffer.byteLength(out.content), buckets: out.buckets };
}
