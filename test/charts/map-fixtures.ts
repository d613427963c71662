/**
 * Test fixtures for the map: a project store with known numbers per country, and a small PNG
 * decoder (8-bit RGBA or RGB, not interlaced: what resvg writes) to sample the written pictures.
 */
import path from 'node:path';
import zlib from 'node:zlib';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../support/tmp.js';

/**
 * `purchase` events per country code (one unit each, value 2.0 per event), spelled in several
 * ways: US + USA join to the US (60), BR + Brazil to Brazil (35). XX is no country, SG is too
 * small for the 1:110m map, and 4 events have no country at all.
 */
export const PURCHASES: Record<string, number> = { US: 50, USA: 10, BR: 25, Brazil: 10, DE: 10, IN: 20, AU: 45, JP: 5, XX: 3, SG: 2 };
export const NO_COUNTRY_EVENTS = 4;
/** Equal-width buckets over 5..60 (6 buckets of 9.17): the bucket of each country's count. */
export const EXPECTED_BUCKET: Record<string, number> = { JP: 0, DE: 0, IN: 1, BR: 3, AU: 4, US: 5 };
export const YLGNBU_6 = ['#ffffcc', '#c7e9b4', '#7fcdbb', '#41b6c4', '#2c7fb8', '#253494'];
export const RDBU_6 = ['#b2182b', '#ef8a62', '#fddbc7', '#d1e5f0', '#67a9cf', '#2166ac'];

/**
 * Experiment `exp1` (control / treatment), `checkout` events after exposure, per unit i of an arm:
 *   US  201 + 201 units: control i%3 (mean 1), treatment 1 + i%3 (mean 2)  -> lift +100%, significant
 *   DE   51 +  51 units: control i%3, treatment (i+1)%3 (both mean 1)      -> lift 0, not significant
 *   BR  120 + 120 units: control 2 + i%3 (mean 3), treatment i%4 (mean 1.5) -> lift -50%, significant
 * Diverging buckets over [-1, 1], a third wide: BR in bucket 1, DE in 3 (hatched), US in 5.
 */
export const EXPERIMENT_ARMS: [country: string, units: number, control: string, treatment: string][] = [
  ['US', 201, 'i % 3', '1 + i % 3'],
  ['DE', 51, 'i % 3', '(i + 1) % 3'],
  ['BR', 120, '2 + i % 3', 'i % 4'],
];

/**
 * US users with a region attribute, spelled as name, postal code, FIPS and nonsense; `visit`
 * events on 2026-10-10 and 2026-10-11 (no other event falls on those days).
 */
export const STATE_USERS: [region: string, day1: number, day2: number][] = [
  ['California', 6, 2], // CA: 8 unit-days / 2 days = 4
  ['TX', 2, 2], // TX: 2
  ['36', 1, 1], // NY (FIPS 36): 1
  ['Narnia', 1, 0],
];

export async function buildMapStore(): Promise<{ dir: string; file: string }> {
  const dir = tmpDir('sh-map-');
  const file = path.join(dir, 'project.duckdb');
  const store = await Store.open(file, { create: true });
  try {
    let u = 0;
    for (const [code, n] of Object.entries(PURCHASES)) {
      for (let i = 0; i < n; i++, u++) {
        await store.run(`INSERT INTO users (unit_id, country) VALUES ($1, $2)`, [`p${u}`, code]);
        await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ($1, 'purchase', TIMESTAMP '2026-10-05 12:00:00' + INTERVAL (${i % 5}) DAY, 2.0)`, [`p${u}`]);
      }
    }
    for (let i = 0; i < NO_COUNTRY_EVENTS; i++) {
      await store.run(`INSERT INTO users (unit_id, country) VALUES ($1, NULL)`, [`n${i}`]);
      await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ($1, 'purchase', TIMESTAMP '2026-10-06 12:00:00', 2.0)`, [`n${i}`]);
    }
    // A purchase outside October, for --period.
    await store.run(`INSERT INTO users (unit_id, country) VALUES ('late', 'JP')`);
    await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ('late', 'purchase', TIMESTAMP '2026-11-20 12:00:00', 2.0)`);

    for (const [country, units, control, treatment] of EXPERIMENT_ARMS) {
      for (const [group, expr] of [['control', control], ['treatment', treatment]] as const) {
        await store.run(`CREATE OR REPLACE TEMP TABLE arm AS SELECT 'x_' || '${country}_${group}_' || i AS unit_id, CAST(${expr} AS INTEGER) AS y FROM range(${units}) t(i)`);
        await store.run(`INSERT INTO users (unit_id, country) SELECT unit_id, '${country}' FROM arm`);
        await store.run(`INSERT INTO exposures SELECT unit_id, 'exp1', '${group}', TIMESTAMP '2026-10-01 00:00:00' FROM arm`);
        await store.run(`INSERT INTO events (unit_id, event, ts, value) SELECT unit_id, 'checkout', TIMESTAMP '2026-10-02 00:00:00' + INTERVAL (j) HOUR, 1.0 FROM arm JOIN range(0, 10) r(j) ON r.j < arm.y`);
        // One checkout before exposure, which the lift must not count.
        await store.run(`INSERT INTO events (unit_id, event, ts, value) SELECT unit_id, 'checkout', TIMESTAMP '2026-09-20 00:00:00', 1.0 FROM arm`);
      }
    }
    await store.run(`INSERT INTO entities (kind, name, spec) VALUES ('metrics', 'revenue', '{"name":"revenue","type":"sum","metricEvents":[{"name":"purchase","type":"value"}]}')`);
    await store.run(`INSERT INTO entities (kind, name, spec) VALUES ('metrics', 'buyers', '{"name":"buyers","type":"event_user","metricEvents":[{"name":"purchase"}]}')`);
    await store.run(`INSERT INTO entities (kind, name, spec) VALUES ('experiments', 'exp1', '{"name":"exp1","controlGroupID":"control","groups":[{"name":"control","size":50},{"name":"treatment","size":50}]}')`);

    let s = 0;
    for (const [region, day1, day2] of STATE_USERS) {
      for (let i = 0; i < Math.max(day1, day2); i++, s++) {
        await store.run(`INSERT INTO users (unit_id, country, attributes) VALUES ($1, 'US', json_object('region', $2::VARCHAR))`, [`s${s}`, region]);
        if (i < day1) await store.run(`INSERT INTO events (unit_id, event, ts) VALUES ($1, 'visit', TIMESTAMP '2026-10-10 08:00:00')`, [`s${s}`]);
        if (i < day2) await store.run(`INSERT INTO events (unit_id, event, ts) VALUES ($1, 'visit', TIMESTAMP '2026-10-11 08:00:00')`, [`s${s}`]);
      }
    }
  } finally {
    store.close();
  }
  return { dir, file };
}

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, row by row. */
  pixels: Uint8Array;
}

/** Decodes a non-interlaced 8-bit RGB or RGBA PNG (chunks, zlib, the five row filters). */
export function decodePng(png: Buffer): DecodedPng {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.subarray(off + 4, off + 8).toString('ascii');
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colorType = data[9];
      if (depth !== 8 || (colorType !== 6 && colorType !== 2) || data[12] !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colorType})`);
      channels = colorType === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (cur[x - channels] as number) : 0;
      const b = prev[x] as number;
      const c = x >= channels ? (prev[x - channels] as number) : 0;
      const v = line[x] as number;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[x] = (v + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 4; k++) out[(y * width + x) * 4 + k] = k < channels ? (cur[x * channels + k] as number) : 255;
    }
    prev = cur;
  }
  return { width, height, pixels: out };
}

export function hex(color: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) throw new Error(`not a colour: ${color}`);
  return [parseInt(m[1] as string, 16), parseInt(m[2] as string, 16), parseInt(m[3] as string, 16)];
}

/** The RGB at (x, y). */
export function pixelAt(img: DecodedPng, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 4;
  return [img.pixels[i] as number, img.pixels[i + 1] as number, img.pixels[i + 2] as number];
}

/** The palette entry nearest to a pixel (its index) and the distance to it. */
export function nearest(rgb: [number, number, number], palette: string[]): { index: number; distance: number } {
  let best = { index: -1, distance: Infinity };
  palette.forEach((c, index) => {
    const [r, g, b] = hex(c);
    const distance = Math.hypot(rgb[0] - r, rgb[1] - g, rgb[2] - b);
    if (distance < best.distance) best = { index, distance };
  });
  return best;
}
