/**
 * Lines of transpiled files. A TypeScript file run through a loader (`tsx app.ts`) is profiled as
 * the JavaScript the loader made of it: V8 reports that code's lines under the .ts file's URL
 * (types and comments gone, so the lines are off). With the file's source map (tsx inlines one;
 * the preloaded script reads it at exit) the lines are mapped back (node:module's SourceMap);
 * without one, the line of a .ts frame is dropped (line 0: "unknown"), never shown wrong.
 */
import { SourceMap, type SourceMapPayload } from 'node:module';
import type { CallFrame, CpuProfile } from './cpuprofile.js';

/** Files whose code V8 runs only after a transpiler rewrote it. */
export const TRANSPILED = /\.(ts|tsx|mts|cts)$/i;

const isTranspiled = (url: string): boolean => TRANSPILED.test(url.replace(/[?#].*$/, ''));

/** A sourceMappingURL of the `data:` kind (`data:application/json;base64,…`) decoded; null for others. */
export function decodeDataUrl(url: string): SourceMapPayload | null {
  const m = /^data:([^,]*),(.*)$/s.exec(url);
  if (!m) return null;
  try {
    const text = (m[1] as string).split(';').includes('base64') ? Buffer.from(m[2] as string, 'base64').toString('utf8') : decodeURIComponent(m[2] as string);
    const payload = JSON.parse(text) as SourceMapPayload;
    return typeof payload.mappings === 'string' ? payload : null;
  } catch {
    return null;
  }
}

/**
 * The profile with the lines (and columns) of transpiled files' frames mapped to their source:
 * `maps` gives each such file's source map by URL. A frame with no map or no mapping keeps its
 * function and file, and loses its line (-1), unless `keepUnmapped` (Node stripped the types itself,
 * keeping every position). Other frames are unchanged.
 */
export function mapTranspiledLines(p: CpuProfile, maps: Record<string, SourceMapPayload>, opts: { keepUnmapped?: boolean } = {}): CpuProfile {
  const parsed = new Map<string, SourceMap | null>();
  const mapOf = (url: string): SourceMap | null => {
    if (!parsed.has(url)) {
      const payload = maps[url];
      let sm: SourceMap | null = null;
      try {
        sm = payload ? new SourceMap(payload) : null;
      } catch {
        sm = null;
      }
      parsed.set(url, sm);
    }
    return parsed.get(url) ?? null;
  };
  let changed = false;
  const nodes = p.nodes.map((n) => {
    const cf = n.callFrame;
    if (!cf.url || !isTranspiled(cf.url) || cf.lineNumber < 0) return n;
    if (opts.keepUnmapped && !maps[cf.url]) return n;
    changed = true;
    const entry: { originalLine?: number; originalColumn?: number } | undefined = mapOf(cf.url)?.findEntry(cf.lineNumber, Math.max(0, cf.columnNumber));
    const callFrame: CallFrame =
      entry && typeof entry.originalLine === 'number'
        ? { ...cf, lineNumber: entry.originalLine, columnNumber: entry.originalColumn ?? 0 }
        : { ...cf, lineNumber: -1, columnNumber: -1 };
    return { ...n, callFrame };
  });
  return changed ? { ...p, nodes } : p;
}
