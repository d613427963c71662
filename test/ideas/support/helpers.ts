/** Shared helpers for the ideas tests: the installed Chromium, JPEG sizes, bad-input routes. */
import type http from 'node:http';
import { findBrowser } from '../../../src/web/browser.js';
import { solidPng, type RouteHandler } from './fixture-server.js';

/** The Chromium the product would use here, or null (browser tests are then skipped). */
export async function installedChromium(): Promise<string | null> {
  try {
    return (await findBrowser({ env: { PATH: process.env.PATH } })).path;
  } catch {
    return null;
  }
}

/** Width and height from a JPEG's start-of-frame marker. */
export function jpegSize(data: Buffer): { width: number; height: number } {
  if (data[0] !== 0xff || data[1] !== 0xd8) throw new Error('not a JPEG');
  let i = 2;
  while (i < data.length) {
    if (data[i] !== 0xff) throw new Error(`bad JPEG marker at ${i}`);
    const marker = data[i + 1] as number;
    const len = data.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc3) return { height: data.readUInt16BE(i + 5), width: data.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

const html = (res: http.ServerResponse, body: string, status = 200): void => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
};

/** Rows of a page with `n` elements. */
export function giantPage(rows: number): string {
  const parts: string[] = ['<!doctype html><html><head><title>Everything</title></head><body><h1>All products</h1><a class="btn" href="#top">Back to top</a><ul>'];
  for (let i = 0; i < rows; i++) parts.push(`<li class="row"><a href="#p${i}">Product ${i}</a> <span>$${i % 97}</span></li>`);
  parts.push('</ul></body></html>');
  return parts.join('');
}

/** Routes under /bad/ for the bad-input tests. */
export function badRoutes(): Record<string, RouteHandler> {
  return {
    '/bad/doc.pdf': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.end('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n');
    },
    '/bad/logo.png': (_req, res) => {
      const png = solidPng(40, 40, '336699');
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
      res.end(png);
    },
    '/bad/export.bin': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="export.bin"' });
      res.end(Buffer.alloc(64));
    },
    '/bad/broken': (_req, res) => html(res, '<!doctype html><title>Oops</title><h1>Internal error</h1>', 500),
    '/bad/hang': () => {
      /* never answers: the socket stays open until the server closes */
    },
    '/bad/busy.html': (_req, res) =>
      html(
        res,
        `<!doctype html><html><head><title>Live prices</title></head><body><h1>Live prices</h1>
         <a class="btn btn-primary" href="/acme/signup.html" style="display:inline-block;padding:14px 24px;background:#2563eb;color:#fff">Buy now</a>
         <p id="price">…</p>
         <script>setInterval(function () { fetch('/bad/poll?t=' + Date.now()).then(function (r) { return r.json(); }).then(function (j) { document.getElementById('price').textContent = j.price; }); }, 60);</script>
         </body></html>`,
      ),
    '/bad/poll': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ price: 42 }));
    },
    '/bad/giant.html': (_req, res) => html(res, giantPage(12_000)),
    '/bad/links.html': (_req, res) =>
      html(
        res,
        `<!doctype html><html><head><title>Links</title></head><body><h1>Links</h1>
         <a class="btn" href="/bad/broken">Broken page</a> <a class="btn" href="/bad/nothing-here.html">Missing page</a>
         <a class="btn" href="/bad/doc.pdf">Download the PDF</a> <a class="btn" href="mailto:hi@example.com">Mail us</a>
         <a class="btn" href="/acme/login.html">Log in</a></body></html>`,
      ),
  };
}
