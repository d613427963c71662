/**
 * Splits a document into chunks by heading, each with its heading trail and the 1-based line
 * range it came from (so a citation says file, heading and lines). Markdown (# headings, code
 * fences respected), HTML (<h1>..<h6>) and plain text (paragraph groups). Pure: text in, chunks out.
 */
import { stripControl } from './text.js';

export interface Chunk {
  /** The nearest heading (the file name for text before the first heading). */
  heading: string;
  /** Headings from the top down to this chunk's, e.g. ["Guide", "Revenue"]. */
  trail: string[];
  startLine: number;
  endLine: number;
  text: string;
}

export type DocFormat = 'markdown' | 'html' | 'text';

/** Longest chunk body in characters; longer sections are split at blank lines. */
export const MAX_CHUNK_CHARS = 2400;

export function formatOf(file: string): DocFormat | null {
  const ext = file.toLowerCase().split('.').pop() ?? '';
  if (ext === 'md' || ext === 'markdown' || ext === 'mdx') return 'markdown';
  if (ext === 'html' || ext === 'htm') return 'html';
  if (ext === 'txt' || ext === 'text' || ext === 'rst') return 'text';
  return null;
}

export function splitDocument(content: string, format: DocFormat, title: string): Chunk[] {
  const clean = stripControl(content.replace(/\r\n?/g, '\n'));
  if (format === 'markdown') return splitMarkdown(clean, title);
  if (format === 'html') return splitHtml(clean, title);
  return splitText(clean, title);
}

interface Section {
  heading: string;
  level: number;
  start: number;
  lines: string[];
}

function finish(sections: Section[], title: string): Chunk[] {
  const out: Chunk[] = [];
  const stack: { level: number; heading: string }[] = [];
  for (const s of sections) {
    if (s.level > 0) {
      while (stack.length > 0 && (stack[stack.length - 1] as { level: number }).level >= s.level) stack.pop();
      stack.push({ level: s.level, heading: s.heading });
    }
    const trail = s.level > 0 ? stack.map((x) => x.heading) : [title];
    for (const piece of pieces(s.lines, s.start)) {
      if (piece.text.trim().length === 0 && s.level === 0) continue;
      out.push({ heading: s.level > 0 ? s.heading : title, trail, startLine: piece.start, endLine: piece.end, text: piece.text.trim() });
    }
  }
  return out;
}

/** Splits a long section at blank lines into pieces under MAX_CHUNK_CHARS, keeping line numbers. */
function pieces(all: string[], start: number): { start: number; end: number; text: string }[] {
  // Trailing blank lines belong to no one: the range ends at the last line with text.
  let n = all.length;
  while (n > 1 && (all[n - 1] as string).trim() === '') n -= 1;
  const lines = all.slice(0, n);
  const total = lines.join('\n');
  if (total.length <= MAX_CHUNK_CHARS) return [{ start, end: start + Math.max(0, lines.length - 1), text: total }];
  const out: { start: number; end: number; text: string }[] = [];
  let from = 0;
  let size = 0;
  for (let i = 0; i < lines.length; i += 1) {
    size += (lines[i] as string).length + 1;
    const blank = (lines[i] as string).trim() === '';
    if ((blank && size >= MAX_CHUNK_CHARS / 2) || size >= MAX_CHUNK_CHARS || i === lines.length - 1) {
      out.push({ start: start + from, end: start + i, text: lines.slice(from, i + 1).join('\n') });
      from = i + 1;
      size = 0;
    }
  }
  return out.filter((p) => p.text.trim().length > 0);
}

function splitMarkdown(content: string, title: string): Chunk[] {
  const lines = content.split('\n');
  const sections: Section[] = [{ heading: title, level: 0, start: 1, lines: [] }];
  let fence: string | null = null;
  lines.forEach((line, i) => {
    const f = /^\s*(```|~~~)/.exec(line);
    if (f) fence = fence === null ? (f[1] as string) : fence === f[1] ? null : fence;
    const h = fence === null && !f ? /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line) : null;
    if (h) {
      sections.push({ heading: (h[2] as string).trim(), level: (h[1] as string).length, start: i + 1, lines: [line] });
    } else {
      (sections[sections.length - 1] as Section).lines.push(line);
    }
  });
  return finish(sections, title);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|noscript|template)[\s\S]*?<\/\1\s*>/gi, (m) => m.replace(/[^\n]/g, ''))
    .replace(/<!--[\s\S]*?-->/g, (m) => m.replace(/[^\n]/g, ''))
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<[^>]*>/g, (m) => m.replace(/[^\n]/g, '') || ' ')
    .replace(/&(#?\w+);/g, (m, e: string) => ENTITIES[e.toLowerCase()] ?? (/^#\d+$/.test(e) ? String.fromCodePoint(Number(e.slice(1)) % 0x110000) : m))
    .replace(/[ \t]+/g, ' ');
}

function splitHtml(content: string, title: string): Chunk[] {
  // Tags are replaced line for line (newlines kept), so line numbers stay those of the file.
  const marked = content.replace(/<h([1-6])[^>]*>([\s\S]*?)<\/h\1\s*>/gi, (m, level: string, inner: string) => {
    const text = htmlToText(inner).replace(/\s+/g, ' ').trim();
    const newlines = (m.match(/\n/g) ?? []).length;
    return `\u0000H${level} ${text}\u0000${'\n'.repeat(newlines)}`;
  });
  const lines = htmlToText(marked).split('\n');
  const sections: Section[] = [{ heading: title, level: 0, start: 1, lines: [] }];
  lines.forEach((line, i) => {
    // eslint-disable-next-line no-control-regex -- NUL marks the headings this function inserted (input NULs were stripped)
    const parts = line.split(/\u0000H([1-6]) ([^\u0000]*)\u0000/);
    if (parts.length === 1) {
      (sections[sections.length - 1] as Section).lines.push(line);
      return;
    }
    if ((parts[0] as string).trim().length > 0) (sections[sections.length - 1] as Section).lines.push(parts[0] as string);
    for (let k = 1; k + 1 < parts.length; k += 3) {
      sections.push({ heading: (parts[k + 1] as string).trim() || title, level: Number(parts[k]), start: i + 1, lines: [`${parts[k + 1] as string} ${parts[k + 2] ?? ''}`.trimEnd()] });
    }
  });
  return finish(sections, title);
}

function splitText(content: string, title: string): Chunk[] {
  const lines = content.split('\n');
  const sections: Section[] = [];
  let current: Section | null = null;
  lines.forEach((line, i) => {
    const underline = /^(=+|-+)\s*$/.test(lines[i + 1] ?? '') && line.trim().length > 0;
    if (underline) {
      current = { heading: line.trim(), level: (lines[i + 1] as string).startsWith('=') ? 1 : 2, start: i + 1, lines: [line] };
      sections.push(current);
      return;
    }
    if (!current) {
      current = { heading: title, level: 0, start: i + 1, lines: [] };
      sections.push(current);
    }
    current.lines.push(line);
  });
  return finish(sections, title);
}
