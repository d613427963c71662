/**
 * One notation for confidence intervals everywhere: "lo..hi". A one-sided interval has one open
 * end (null): "+0.4%..+inf" (--tails greater) or "-inf..-0.4%" (--tails less), never "n/a" for
 * the open end. Both ends missing (no variance) is "n/a".
 */
export function ciRange(ci: readonly [number | null, number | null], fmt: (x: number) => string): string {
  const [lo, hi] = ci;
  if ((lo === null || !Number.isFinite(lo)) && (hi === null || !Number.isFinite(hi))) return 'n/a';
  return `${lo === null ? '-inf' : fmt(lo)}..${hi === null ? '+inf' : fmt(hi)}`;
}
