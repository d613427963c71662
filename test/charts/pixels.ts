/**
 * Reading chart pictures back in tests: the PNG header, the PNG decoded by resvg (drawn as an
 * <image> into a blank SVG of the same size: a real decoder, no hand-written inflate), and
 * where a data value lands in the picture, from the compiled view's own scales.
 */
import { createRequire } from 'node:module';
import type * as ResvgModule from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';

const require = createRequire(import.meta.url);
const { Resvg } = require('@resvg/resvg-js') as typeof ResvgModule;

export interface Image {
  width: number;
  height: number;
  pixels: Buffer;
}

/** Width and height from the IHDR chunk; throws when the bytes are not a PNG. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a' || png.subarray(12, 16).toString('ascii') !== 'IHDR') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Decodes a PNG to RGBA pixels with resvg. */
export function decodePng(png: Buffer): Image {
  const { width, height } = pngSize(png);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><image width="${width}" height="${height}" href="data:image/png;base64,${png.toString('base64')}"/></svg>`;
  const img = new Resvg(svg).render();
  return { width: img.width, height: img.height, pixels: Buffer.from(img.pixels) };
}

/** Parses an SVG with resvg's strict XML parser (throws on malformed XML) and returns its raster. */
export function rasterize(svg: string): Image {
  const img = new Resvg(svg, { background: '#ffffff' }).render();
  return { width: img.width, height: img.height, pixels: Buffer.from(img.pixels) };
}

const hex = (c: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number];

export function pixelAt(img: Image, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 4;
  return [img.pixels[i] ?? 0, img.pixels[i + 1] ?? 0, img.pixels[i + 2] ?? 0];
}

/** Whether a pixel within `radius` of (x, y) is within `tol` (per channel) of the colour. */
export function colourNear(img: Image, x: number, y: number, colour: string, radius = 2, tol = 40): boolean {
  const [r, g, b] = hex(colour);
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      const [pr, pg, pb] = pixelAt(img, x + dx, y + dy);
      if (Math.abs(pr - r) <= tol && Math.abs(pg - g) <= tol && Math.abs(pb - b) <= tol) return true;
    }
  }
  return false;
}

/** Pixels of the whole picture within `tol` of the colour. */
export function countColour(img: Image, colour: string, tol = 30): number {
  const [r, g, b] = hex(colour);
  let n = 0;
  for (let i = 0; i < img.pixels.length; i += 4) {
    if (Math.abs((img.pixels[i] ?? 0) - r) <= tol && Math.abs((img.pixels[i + 1] ?? 0) - g) <= tol && Math.abs((img.pixels[i + 2] ?? 0) - b) <= tol) n++;
  }
  return n;
}

type Scale = ((v: unknown) => number) & { bandwidth?: () => number };

/**
 * A function from data values to picture pixels for one view of a spec: it compiles the spec
 * as the renderer does, reads the named scales, and adds the offsets vega wrote into `svg`
 * (the root translate and the group's own translate).
 */
export async function placer(spec: TopLevelSpec, svg: string, view: { group?: string; x: string; y: string; yOffset?: string }): Promise<(x: unknown, y: unknown, yOffset?: unknown) => [number, number]> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const { BASE_CONFIG } = await import('../../src/charts/render.js');
  const compiled = vl.compile({ ...spec, config: { ...BASE_CONFIG, ...((spec as { config?: object }).config ?? {}) } }).spec;
  const v = new vega.View(vega.parse(compiled), { renderer: 'none' });
  await v.runAsync();
  const sx = v.scale(view.x) as Scale;
  const sy = v.scale(view.y) as Scale;
  const so = view.yOffset ? (v.scale(view.yOffset) as Scale) : null;
  v.finalize();
  const root = /<g[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"/.exec(svg);
  let gx = 0;
  let gy = 0;
  if (view.group) {
    const m = new RegExp(`class="mark-group role-scope ${view.group}"[^>]*><g transform="translate\\(([-\\d.]+),([-\\d.]+)\\)"`).exec(svg);
    if (!m) throw new Error(`group ${view.group} not in the SVG`);
    gx = Number(m[1]);
    gy = Number(m[2]);
  }
  const ox = Number(root?.[1] ?? 0) + gx;
  const oy = Number(root?.[2] ?? 0) + gy;
  const band = (s: Scale): number => (typeof s.bandwidth === 'function' ? s.bandwidth() / 2 : 0);
  // With an offset scale (grouped bands), the position is the band's start plus the offset band's middle.
  return (x, y, yOffset) => [ox + sx(x) + band(sx), so && yOffset !== undefined ? oy + sy(y) + so(yOffset) + band(so) : oy + sy(y) + band(sy)];
}

/** The pixel size resvg gives an SVG (its width and height attributes, rounded). */
export function svgSize(svg: string): { width: number; height: number } {
  const head = /<svg[^>]*>/.exec(svg)?.[0] ?? '';
  return { width: Math.round(Number(/width="([\d.]+)"/.exec(head)?.[1])), height: Math.round(Number(/height="([\d.]+)"/.exec(head)?.[1])) };
}
