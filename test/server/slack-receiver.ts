/**
 * A local Slack incoming-webhook stand-in on 127.0.0.1: checks every payload against the Block
 * Kit rules an incoming webhook enforces (a text fallback; header plain_text <= 150 chars;
 * section / context mrkdwn; section text <= 3000 chars; at most 50 blocks) and answers 400
 * "invalid_blocks" like Slack when they are broken; replays 429 with Retry-After for the first
 * `rateLimit` posts; `failAll` answers 500 to everything. Records bodies, headers and times.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

const Mrkdwn = z.object({ type: z.literal('mrkdwn'), text: z.string().min(1).max(3000) }).strict();
const Block = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), text: z.object({ type: z.literal('plain_text'), text: z.string().min(1).max(150) }).strict() }).strict(),
  z.object({ type: z.literal('section'), text: Mrkdwn }).strict(),
  z.object({ type: z.literal('context'), elements: z.array(Mrkdwn).min(1).max(10) }).strict(),
]);
export const SlackMessageSchema = z.object({ text: z.string().min(1), blocks: z.array(Block).min(1).max(50) }).strict();

export interface Received {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Posts answered 2xx. */
  delivered(): Received[];
  set(opts: Partial<ReceiverOptions>): void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Answer the first N posts 429 with this Retry-After. */
  rateLimit: { count: number; retryAfter: string } | null;
  failAll: boolean;
  /** Check Block Kit (false for the JSON-event receiver). */
  slack: boolean;
}

export async function startReceiver(initial: Partial<ReceiverOptions> = {}): Promise<Receiver> {
  const opts: ReceiverOptions = { rateLimit: null, failAll: false, slack: true, ...initial };
  const received: Received[] = [];
  let limited = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      let body: any = null;
      let status = 200;
      try {
        body = JSON.parse(raw);
      } catch {
        status = 400;
      }
      if (status === 200 && opts.slack && !SlackMessageSchema.safeParse(body).success) status = 400;
      if (status === 200 && opts.rateLimit && limited < opts.rateLimit.count) {
        limited++;
        status = 429;
      }
      if (status === 200 && opts.failAll) status = 500;
      received.push({ at: Date.now(), path: req.url ?? '/', headers: req.headers, raw, body, status });
      if (status === 429) res.setHeader('retry-after', opts.rateLimit?.retryAfter ?? '1');
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : status === 400 ? 'invalid_blocks' : status === 429 ? 'rate_limited' : 'error');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    delivered: () => received.filter((r) => r.status >= 200 && r.status < 300),
    set: (o) => Object.assign(opts, o),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
