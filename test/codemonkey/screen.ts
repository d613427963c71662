/**
 * A minimal terminal screen for pty tests: feeds raw output (what ink and the CLI wrote) through
 * the escape sequences they use (cursor moves, erase line/screen, carriage return, newline with
 * scrolling, auto-wrap) and returns the text that is on the screen at the end, plus the lines
 * that scrolled off the top. Colours and modes are ignored.
 */
export interface Screen {
  /** The visible rows, trailing spaces removed. */
  rows: string[];
  /** Lines that scrolled off the top, oldest first. */
  scrolled: string[];
}

export function renderScreen(raw: string, cols: number, rows: number): Screen {
  const blank = (): string[] => Array.from({ length: cols }, () => ' ');
  let grid: string[][] = Array.from({ length: rows }, blank);
  const scrolled: string[] = [];
  let r = 0;
  let c = 0;
  let wrapPending = false;
  const lineFeed = (): void => {
    if (r === rows - 1) {
      scrolled.push((grid.shift() as string[]).join('').trimEnd());
      grid.push(blank());
    } else {
      r += 1;
    }
  };
  const chars = [...raw];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '\u001b') {
      const next = chars[i + 1];
      if (next === '[') {
        let j = i + 2;
        let params = '';
        while (j < chars.length && /[0-?]/.test(chars[j] as string)) params += chars[j++];
        while (j < chars.length && /[ -/]/.test(chars[j] as string)) j++;
        const final = chars[j] ?? '';
        i = j;
        const nums = params.replace(/^\?/, '').split(';').map((p) => (p === '' ? NaN : Number(p)));
        const n = Number.isNaN(nums[0]) ? 1 : (nums[0] as number);
        wrapPending = false;
        if (params.startsWith('?')) continue;
        if (final === 'A') r = Math.max(0, r - n);
        else if (final === 'B') r = Math.min(rows - 1, r + n);
        else if (final === 'C') c = Math.min(cols - 1, c + n);
        else if (final === 'D') c = Math.max(0, c - n);
        else if (final === 'G') c = Math.min(cols - 1, Math.max(0, n - 1));
        else if (final === 'H' || final === 'f') {
          r = Math.min(rows - 1, Math.max(0, (Number.isNaN(nums[0]) ? 1 : (nums[0] as number)) - 1));
          c = Math.min(cols - 1, Math.max(0, (Number.isNaN(nums[1]) ? 1 : (nums[1] as number)) - 1));
        } else if (final === 'K') {
          const mode = Number.isNaN(nums[0]) ? 0 : nums[0];
          const row = grid[r] as string[];
          for (let k = 0; k < cols; k++) if (mode === 2 || (mode === 0 && k >= c) || (mode === 1 && k <= c)) row[k] = ' ';
        } else if (final === 'J') {
          const mode = Number.isNaN(nums[0]) ? 0 : nums[0];
          if (mode === 2 || mode === 3) grid = Array.from({ length: rows }, blank);
          else if (mode === 0) {
            for (let k = c; k < cols; k++) (grid[r] as string[])[k] = ' ';
            for (let rr = r + 1; rr < rows; rr++) grid[rr] = blank();
          }
        }
        continue;
      }
      if (next === ']' || next === 'P' || next === '_' || next === '^' || next === 'X') {
        let j = i + 2;
        while (j < chars.length && chars[j] !== '\u0007' && !(chars[j] === '\u001b' && chars[j + 1] === '\\')) j++;
        i = chars[j] === '\u0007' ? j : j + 1;
        continue;
      }
      i += 1;
      continue;
    }
    if (ch === '\r') {
      c = 0;
      wrapPending = false;
    } else if (ch === '\n') {
      lineFeed();
      wrapPending = false;
    } else if (ch === '\b') {
      c = Math.max(0, c - 1);
    } else if (ch >= ' ' && ch !== '\u007f') {
      if (wrapPending) {
        c = 0;
        lineFeed();
        wrapPending = false;
      }
      (grid[r] as string[])[c] = ch;
      if (c === cols - 1) wrapPending = true;
      else c += 1;
    }
  }
  return { rows: grid.map((row) => row.join('').trimEnd()), scrolled };
}
