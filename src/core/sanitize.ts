/**
 * Control characters and terminal escapes out of untrusted text (what a model, a page or a
 * file wrote) before it reaches a terminal, a commit message or a report. Pure, no imports.
 *
 *   stripControl('\u001b]0;pwned\u0007Fix add\u001b[2J')      // 'Fix add'
 *   stripControl('line 1\nline 2', { newlines: false })      // 'line 1 line 2'
 *   showControl('a\u001b[31mb')                               // 'a\\x1b[31mb' (made visible, for diffs)
 *
 * Removed: escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL|ESC \` such as window
 * titles and OSC 52 clipboard writes, DCS/SOS/PM/APC strings, two-byte `ESC x`), their 8-bit
 * C1 forms (U+009B CSI, U+009D OSC, …), every other C0/C1 control and DEL, and the Unicode
 * bidirectional overrides/isolates that can make text read differently from what it is.
 * Tab and newline are kept (or turned into spaces with `newlines: false`); CR LF becomes LF
 * and a lone CR (which would overwrite the line on a terminal) is removed.
 */

/* eslint-disable no-control-regex */
/** A string-type sequence (OSC, DCS, SOS, PM, APC) runs to BEL or ST; an unterminated one to the end. */
const STRING_SEQ = /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)/g;
/** CSI: ESC [ (or U+009B), parameter and intermediate bytes, one final byte. */
const CSI_SEQ = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?/g;
/** Any other escape: ESC, optional intermediates, one final byte. */
const ESC_SEQ = /\u001b[ -/]*[0-~]?/g;
/** Controls left after the sequences: C0 except tab and LF, DEL, C1, bidi controls. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

export interface StripOptions {
  /** Keep newlines and tabs (default true); false turns every run of whitespace into one space. */
  newlines?: boolean;
}

/** `text` without terminal escapes and control characters (see the module comment). */
export function stripControl(text: string, options: StripOptions = {}): string {
  let out = text.replace(/\r\n/g, '\n').replace(STRING_SEQ, '').replace(CSI_SEQ, '').replace(ESC_SEQ, '').replace(CONTROLS, '');
  if (options.newlines === false) out = out.replace(/\s+/g, ' ').trim();
  return out;
}

/** One line for a terminal: control characters stripped, whitespace collapsed, cut at `max` characters. */
export function oneLineSafe(text: string, max = Infinity): string {
  const flat = stripControl(text, { newlines: false });
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat;
}

/** Whether `text` holds anything `stripControl` would remove (other than CR LF line ends). */
export function hasControl(text: string): boolean {
  return stripControl(text) !== text.replace(/\r\n/g, '\n');
}

/**
 * Control characters made visible instead of removed, for showing file content that really
 * contains them (a diff): ESC becomes `\x1b`, other C0/C1 controls `\xNN`, bidi controls `\u{NNNN}`.
 * Tabs and newlines are kept.
 */
export function showControl(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROLS, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
