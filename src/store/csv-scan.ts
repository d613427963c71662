/**
 * A plain scan of a CSV file's records, used only when DuckDB cannot read the file, to say why
 * in one line: the first row whose number of fields differs from the header's (with its line
 * number), and which line endings the file mixes. Double quotes are honoured (a quoted field may
 * hold the delimiter, doubled quotes or line breaks); blank lines are skipped, as DuckDB and
 * pandas do.
 */
import fs from 'node:fs';

export interface CsvScan {
  /** Fields in the header (the first record). */
  headerFields: number;
  /** The first record with another number of fields: its first line (1-based) and its fields. */
  ragged: { line: number; fields: number } | null;
  /** Records that end in CRLF, and in a bare LF (up to the first ragged record). */
  crlf: number;
  lf: number;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Scans `file` (streamed in chunks) with the one-byte delimiter `delim`; stops at the first ragged record. */
export function scanCsv(file: string, delim: string): CsvScan {
  const d = delim.charCodeAt(0);
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let pos = 0;
  let line = 1;
  let recordLine = 1;
  let fields = 1;
  let content = false; // the record has a byte besides its line ending
  let inQuotes = false;
  let quotePending = false; // in quotes, just saw a quote: the end, or the first of a doubled one
  let atFieldStart = true;
  let prev = -1;
  let headerFields = -1;
  let crlf = 0;
  let lf = 0;
  let ragged: CsvScan['ragged'] = null;

  const endRecord = (): boolean => {
    if (!content) return false;
    if (headerFields < 0) headerFields = fields;
    else if (fields !== headerFields) {
      ragged = { line: recordLine, fields };
      return true;
    }
    return false;
  };

  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
      for (let i = 0; i < n; i++) {
        const c = buf[i] as number;
        if (inQuotes) {
          if (quotePending) {
            quotePending = false;
            if (c === QUOTE) {
              prev = c;
              continue; // a doubled quote: text
            }
            inQuotes = false; // the closing quote: read c as outside quotes
          } else {
            if (c === QUOTE) quotePending = true;
            else if (c === LF) line += 1;
            prev = c;
            continue;
          }
        }
        if (c === LF) {
          if (content) {
            if (prev === CR) crlf += 1;
            else lf += 1;
          }
          if (endRecord()) return { headerFields, ragged, crlf, lf };
          line += 1;
          recordLine = line;
          fields = 1;
          content = false;
          atFieldStart = true;
        } else if (c === CR) {
          // part of a CRLF ending (counted at the LF)
        } else {
          content = true;
          if (c === d) {
            fields += 1;
            atFieldStart = true;
          } else if (c === QUOTE && atFieldStart) {
            inQuotes = true;
            atFieldStart = false;
          } else atFieldStart = false;
        }
        prev = c;
      }
    }
    endRecord();
    return { headerFields: Math.max(headerFields, 0), ragged, crlf, lf };
  } finally {
    fs.closeSync(fd);
  }
}
