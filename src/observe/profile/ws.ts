/**
 * A minimal WebSocket client (RFC 6455), enough for the inspector protocol of a local Node
 * process: text messages, fragmentation, ping/pong, close. Node 20 has no global WebSocket.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export class WsClient {
  private chunks: Buffer[] = [];
  private size = 0;
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private closed = false;
  onMessage: (text: string) => void = () => undefined;
  onClose: (reason: string) => void = () => undefined;

  private constructor(
    private readonly socket: Duplex,
    private readonly maxMessageBytes: number,
  ) {
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('close', () => this.end('connection closed'));
    socket.on('error', (e) => this.end(e.message));
  }

  /** Connects to a ws:// URL on a loopback address. */
  static connect(url: string, maxMessageBytes: number, timeoutMs = 5000): Promise<WsClient> {
    const u = new URL(url);
    if (u.protocol !== 'ws:') return Promise.reject(new Error(`not a ws:// URL: ${url}`));
    const key = randomBytes(16).toString('base64');
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: u.hostname,
        port: u.port || 80,
        path: `${u.pathname}${u.search}`,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' },
        timeout: timeoutMs,
      });
      req.on('upgrade', (res, socket, head) => {
        const expected = createHash('sha1').update(key + GUID).digest('base64');
        if (res.headers['sec-websocket-accept'] !== expected) {
          socket.destroy();
          reject(new Error('the WebSocket handshake failed'));
          return;
        }
        const ws = new WsClient(socket, maxMessageBytes);
        if (head.length > 0) ws.receive(head);
        resolve(ws);
      });
      req.on('response', (res) => reject(new Error(`the inspector refused the WebSocket (HTTP ${res.statusCode ?? '?'})`)));
      req.on('timeout', () => req.destroy(new Error('timed out connecting to the inspector')));
      req.on('error', reject);
      req.end();
    });
  }

  send(text: string): void {
    const payload = Buffer.from(text, 'utf8');
    const mask = randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    head[0] = 0x81;
    if (len < 126) head[1] = 0x80 | len;
    else if (len < 65536) {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    } else {
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
    for (let i = 0; i < len; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
    this.socket.write(Buffer.concat([head, mask, payload]));
  }

  close(): void {
    if (this.closed) return;
    try {
      this.socket.write(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
    } catch {
      // already gone
    }
    this.socket.end();
    this.end('closed');
  }

  private end(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onClose(reason);
  }

  /** The first `n` buffered bytes (n <= size). */
  private peek(n: number): Buffer {
    if ((this.chunks[0]?.length ?? 0) >= n) return this.chunks[0] as Buffer;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.size -= n;
    return out;
  }

  private receive(data: Buffer): void {
    this.chunks.push(data);
    this.size += data.length;
    while (!this.closed && this.size >= 2) {
      const h = this.peek(Math.min(this.size, 14));
      const b0 = h[0] as number;
      const b1 = h[1] as number;
      let len = b1 & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (h.length < 4) return;
        len = h.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (h.length < 10) return;
        len = Number(h.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked) offset += 4;
      if (this.fragmentBytes + len > this.maxMessageBytes) {
        this.end(`a message over ${this.maxMessageBytes} bytes`);
        return;
      }
      if (this.size < offset + len) return;
      const frame = this.take(offset + len);
      const payload = Buffer.from(frame.subarray(offset));
      if (masked) {
        const mask = frame.subarray(offset - 4, offset);
        for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
      }
      this.frame(b0 & 0x0f, (b0 & 0x80) !== 0, payload);
    }
  }

  private frame(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode === 0x8) {
      this.end('closed by the inspector');
      return;
    }
    if (opcode === 0x9) {
      const pong = Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length]), Buffer.alloc(4), payload]);
      this.socket.write(pong);
      return;
    }
    if (opcode !== 0x1 && opcode !== 0x0 && opcode !== 0x2) return;
    this.fragments.push(payload);
    this.fragmentBytes += payload.length;
    if (!fin) return;
    const text = Buffer.concat(this.fragments).toString('utf8');
    this.fragments = [];
    this.fragmentBytes = 0;
    this.onMessage(text);
  }
}
