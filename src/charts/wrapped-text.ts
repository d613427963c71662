/** The human output of `wrapped`: the card's lines as text, and the files written. */
import type { WrappedData } from './wrapped-data.js';
import type { WrittenWrapped } from './wrapped.js';
import { wrappedText } from './wrapped-card.js';
import { displayPath, int } from '../ui/format.js';

export function renderWrapped(data: WrappedData, written: readonly WrittenWrapped[], cwd?: string): string {
  const [title, ...rest] = wrappedText(data);
  const lines = [title ?? '', ...rest.map((l) => `  ${l}`)];
  // As every command that writes a file says it: a check mark, then "wrote <file> (…, WxH, N KB)".
  for (const w of written) lines.push(`✓ wrote ${displayPath(w.file, cwd)} (${w.size}, ${w.width}x${w.height}, ${int(Math.ceil(w.bytes / 1024))} KB)`);
  return lines.join('\n');
}
