/**
 * Text that fits a terminal: cutting, visible width (colour codes aside), word wrapping and
 * copyable command lines. Pure; shared by core/output (errors, warnings) and the ui/ renderers.
 */
import type { StreamInfo } from './tty.js';

/** Cuts `s` to `max` visible characters, ending in "…" when cut. */
export function cut(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return chars.slice(0, Math.max(0, max)).join('');
  return `${chars.slice(0, max - 1).join('')}…`;
}

// eslint-disable-next-line no-control-regex -- colour codes are what is measured around
const SGR = /\x1b\[[0-9;]*m/g;

/** Visible width of a string that may hold colour codes. */
export function visibleLength(s: string): number {
  return [...s.replace(SGR, '')].length;
}

/**
 * Word-wraps each line of `text` that is wider than `width` (continuation lines indented by
 * `indent`); lines break only at spaces, so numbers, dates and paths stay whole, and a quoted
 * command (`statsig-hack import …`) stays on one line when it fits one. A word longer than a
 * line is cut. No limit: the text as it is.
 */
export function wrap(text: string, width: number | undefined, indent = '  '): string {
  if (width === undefined) return text;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (visibleLength(line) <= width) {
      out.push(line);
      continue;
    }
    const lead = /^\s*/.exec(line)?.[0] ?? '';
    const next = lead + indent;
    let cur = lead;
    let curLen = visibleLength(lead);
    let filled = false;
    for (const word of words(line.slice(lead.length), width - visibleLength(next))) {
      const wl = visibleLength(word);
      if (filled && curLen + 1 + wl > width) {
        out.push(cur.trimEnd());
        cur = next;
        curLen = visibleLength(next);
        filled = false;
      }
      const sep = filled ? ' ' : '';
      let piece = word;
      // A single word wider than the line is cut (plain words only; colour codes stay whole).
      if (curLen + sep.length + wl > width && wl === [...word].length) piece = cut(word, Math.max(1, width - curLen - sep.length));
      cur += sep + piece;
      curLen += sep.length + visibleLength(piece);
      filled = true;
    }
    out.push(cur.trimEnd());
  }
  return out.join('\n');
}

/**
 * The words of a line, split at spaces; a span in backticks (a command to copy) is one word when it
 * fits in `room` columns, else its own words; a one-character word is kept with the next.
 */
function words(text: string, room: number): string[] {
  const out: string[] = [];
  let span: string[] | null = null;
  const ticks = (w: string): number => w.split('`').length - 1;
  for (const w of text.split(' ')) {
    if (span) {
      span.push(w);
      if (ticks(w) % 2 === 1) {
        const joined = span.join(' ');
        out.push(...(visibleLength(joined) <= room ? [joined] : span));
        span = null;
      }
    } else if (ticks(w) % 2 === 1) span = [w];
    else out.push(w);
  }
  if (span) out.push(...span);
  // A one-character word ("p", "<", "a") stays with the next one, so "p < 0.001" never ends a line at "p".
  const glued: string[] = [];
  for (let i = 0; i < out.length; i += 1) {
    let w = out[i] as string;
    while (i + 1 < out.length && visibleLength(w.slice(w.lastIndexOf(' ') + 1)) === 1 && visibleLength(`${w} ${out[i + 1]}`) <= room) {
      w = `${w} ${out[i + 1]}`;
      i += 1;
    }
    glued.push(w);
  }
  return glued;
}

/**
 * A command to copy, indented by `indent`; when wider than `width` it breaks before flags with
 * shell continuations (" \"), so it still pastes as one command.
 */
export function commandLine(cmd: string, width: number | undefined, indent = '  '): string {
  const one = `${indent}${cmd}`;
  if (width === undefined || visibleLength(one) <= width) return one;
  const parts = cmd.split(/ (?=--)/);
  const lines: string[] = [];
  let cur = indent + (parts.shift() ?? '');
  for (const p of parts) {
    if (visibleLength(cur) + 1 + visibleLength(p) + 2 > width) {
      lines.push(`${cur} \\`);
      cur = `${indent}    ${p}`;
    } else cur += ` ${p}`;
  }
  lines.push(cur);
  return lines.join('\n');
}


/**
 * The width human text on `stream` must fit: a TTY's columns, else $COLUMNS when set (so
 * `COLUMNS=100 cmd | less` fits too), else no limit; never under 40.
 */
export function terminalWidth(stream: StreamInfo & { columns?: number }, env: NodeJS.ProcessEnv): number | undefined {
  let width: number | undefined;
  if (stream.isTTY && stream.columns && stream.columns > 0) width = stream.columns;
  else if (env.COLUMNS && /^\d+$/.test(env.COLUMNS)) width = Number(env.COLUMNS);
  return width === undefined ? undefined : Math.max(40, width);
}

/**
 * A message of a few lines for a terminal (an error's hint, a warning), after a prefix such as
 * "  hint: ": each line that is a `statsig-hack …` (or `npx statsig-hack …`) command stays whole to copy (broken only before
 * flags, with shell continuations); other lines are word-wrapped. Later lines and continuations
 * are indented under the text (or by `indent`). No width: the lines as they are, indented the same way.
 */
export function fitMessage(text: string, width: number | undefined, prefix: string, indent = ' '.repeat(visibleLength(prefix))): string {
  return text
    .split('\n')
    .map((line, i) => {
      const lead = i === 0 ? prefix : indent;
      const n = visibleLength(lead);
      if (/^\s*(?:npx )?statsig-hack /.test(line)) {
        const room = width === undefined ? undefined : width - Math.max(n, indent.length);
        return commandLine(line.trim(), room, '')
          .split('\n')
          .map((l, j) => `${j === 0 ? lead : indent}${l}`)
          .join('\n');
      }
      // A placeholder as wide as the lead (no spaces, so it stays on the first line), swapped back after wrapping.
      const wrapped = wrap(`${'\u0001'.repeat(n)}${line}`, width, indent);
      return `${lead}${wrapped.slice(n)}`;
    })
    .join('\n');
}

/**
 * Help text that fits `width`: paragraphs (runs of unindented lines) are reflowed; an example
 * line (`  $ statsig-hack …`) too wide breaks before its flags with shell continuations, so it
 * still pastes as one command; any other indented line too wide is word-wrapped.
 */
export function fitHelp(text: string, width: number): string {
  const out: string[] = [];
  let para: string[] = [];
  const flush = (): void => {
    if (para.length > 0) out.push(wrap(para.join(' '), width, ''));
    para = [];
  };
  for (const line of text.split('\n')) {
    if (line !== '' && !/^\s/.test(line)) {
      para.push(line.trimEnd());
      continue;
    }
    flush();
    if (visibleLength(line) <= width) {
      out.push(line);
      continue;
    }
    const m = /^(\s*)\$ (statsig-hack .*)$/.exec(line);
    if (m && !/ {2,}\S/.test(m[2] as string)) {
      const lead = `${m[1] ?? ''}$ `;
      out.push(commandLine(m[2] as string, width, ' '.repeat(lead.length)).replace(/^ +/, lead));
    } else out.push(wrap(line, width, '    '));
  }
  flush();
  return out.join('\n');
}
