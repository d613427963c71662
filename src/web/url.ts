/** URL checks and normalization for page capture: only http(s), same origin, no downloads. */
import { UsageError } from '../core/errors.js';

/** Parses the URL a user typed. A bare host ("example.com/pricing") gets https://. Throws UsageError. */
export function parseTargetUrl(raw: string): { url: URL; assumedScheme: boolean } {
  const input = raw.trim();
  if (input.length === 0) throw new UsageError('the URL is empty', { hint: 'e.g. statsig-hack ideas https://example.com' });
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(input);
  const looksLikeHost = /^(?:localhost|(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?(?:[/?#]|$)/.test(input);
  if (scheme && !(looksLikeHost && /^\d+$/.test(input.slice(scheme[0].length).split(/[/?#]/)[0] ?? ''))) {
    const s = (scheme[1] as string).toLowerCase();
    if (s !== 'http' && s !== 'https') {
      throw new UsageError(`unsupported URL scheme "${s}:" in ${JSON.stringify(oneLine(input))}; only http and https pages can be captured`, {
        hint: 'pass an http:// or https:// URL',
        code: 'IDEAS_BAD_SCHEME',
      });
    }
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw notAUrl(input);
    }
    if (!url.hostname) throw notAUrl(input);
    return { url, assumedScheme: false };
  }
  if (!looksLikeHost || /\s/.test(input)) throw notAUrl(input);
  try {
    const local = /^(?:localhost|\d{1,3}(?:\.\d{1,3}){3})(?:[:/?#]|$)/i.test(input);
    return { url: new URL(`${local ? 'http' : 'https'}://${input}`), assumedScheme: true };
  } catch {
    throw notAUrl(input);
  }
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

function notAUrl(input: string): UsageError {
  return new UsageError(`not a URL: ${JSON.stringify(oneLine(input))}`, { hint: 'pass a full URL, e.g. https://example.com/pricing', code: 'IDEAS_BAD_URL' });
}

const TRACKING_PARAMS = /^(?:utm_[a-z]+|gclid|fbclid|msclkid|mc_cid|mc_eid|_ga|ref_src)$/i;

/** A page's identity: no fragment, no tracking parameters, lower-case host, default port dropped. */
export function normalizeUrl(input: string | URL, base?: string | URL): string | null {
  let url: URL;
  try {
    url = new URL(input, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.hash = '';
  for (const key of [...url.searchParams.keys()]) if (TRACKING_PARAMS.test(key)) url.searchParams.delete(key);
  url.search = url.searchParams.toString() ? `?${url.searchParams.toString()}` : '';
  return url.href;
}

export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

const DOWNLOAD_EXT = /\.(?:pdf|zip|gz|tgz|bz2|xz|7z|rar|tar|dmg|pkg|exe|msi|deb|rpm|apk|ipa|iso|img|bin|csv|xlsx?|docx?|pptx?|odt|ods|mp3|mp4|m4a|mov|avi|mkv|webm|wav|flac|ogg|png|jpe?g|gif|webp|svg|ico|avif|woff2?|ttf|otf|eot|json|xml|rss|atom|txt)$/i;
const UNSAFE_PATH = /(?:^|[/_-])(?:log-?out|sign-?out|logoff|delete|remove|unsubscribe|destroy)(?:$|[/._?-])/i;

/** Whether a link is worth following as a page: http(s), not a file download, not a log-out or delete action. */
export function isFollowable(href: string): boolean {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (DOWNLOAD_EXT.test(url.pathname)) return false;
  if (UNSAFE_PATH.test(url.pathname)) return false;
  return true;
}

/** The path and query of a URL, for display ("/pricing?plan=pro"); the input itself when it does not parse. */
export function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}` || '/';
  } catch {
    return url;
  }
}

/** The page a URL shows: origin and path, without query or fragment (the URL itself when it does not parse). */
export function pageKey(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}
