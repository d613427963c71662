/** Small text helpers for whatchanged's messages. */

/** The first `max` items, comma-separated, and how many more. */
export function listPreview(items: string[], max = 20): string {
  return items.length > max ? `${items.slice(0, max).join(', ')}, … (${items.length - max} more)` : items.join(', ');
}

/** `1 row`, `2,000 rows`. */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
