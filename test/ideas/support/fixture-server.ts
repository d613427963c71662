/**
 * Serves the fixture websites in test/fixtures/sites/ on 127.0.0.1 (random port):
 *   /acme/            -> test/fixtures/sites/acme/index.html
 *   /shoddy/pricing.html, ...
 *   .../img/<name>-<W>x<H>-<rrggbb>.png   a generated solid PNG of that size and colour;
 *                                        `?delay=<ms>` answers it late (slow largest paint)
 * plus `routes` for scripted answers (bad input: 404, PDF, a server that hangs ...).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';

export const SITES_DIR = path.resolve(import.meta.dirname, '../../fixtures/sites');

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface FixtureServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Paths requested, in order. */
  requests: string[];
  /** "METHOD /path?query" of every request, in order. */
  calls: string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

let crcTable: Uint32Array | null = null;
function crc32(buf: Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const pngCache = new Map<string, Buffer>();

/** A solid-colour RGB PNG. */
export function solidPng(width: number, height: number, hex: string): Buffer {
  const key = `${width}x${height}-${hex}`;
  const hit = pngCache.get(key);
  if (hit) return hit;
  const r = parseInt(hex.slice(0, 2), 16);
  const g = parseInt(hex.slice(2, 4), 16);
  const b = parseInt(hex.slice(4, 6), 16);
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) {
    row[1 + x * 3] = r;
    row[2 + x * 3] = g;
    row[3 + x * 3] = b;
  }
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
  pngCache.set(key, png);
  return png;
}

export async function startFixtureServer(routes: Record<string, RouteHandler> = {}): Promise<FixtureServer> {
  const requests: string[] = [];
  const calls: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname + url.search);
    calls.push(`${req.method ?? 'GET'} ${url.pathname}${url.search}`);
    const route = routes[url.pathname];
    if (route) {
      route(req, res);
      return;
    }
    const img = /\/img\/[^/]*?-(\d+)x(\d+)-([0-9a-fA-F]{6})\.png$/.exec(url.pathname);
    if (img) {
      const body = solidPng(Number(img[1]), Number(img[2]), img[3] as string);
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length, 'cache-control': 'no-store' });
        res.end(body);
      };
      const delay = Number(url.searchParams.get('delay') ?? 0);
      if (delay > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, delay);
        timers.add(t);
      } else send();
      return;
    }
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(SITES_DIR, `.${rel}`);
    if (!file.startsWith(SITES_DIR + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Not found</title><h1>404 Not found</h1>');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
