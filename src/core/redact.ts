/**
 * Secret redaction. Every string that leaves the process through our output layer, a
 * transcript or an error passes through `redact`, so API keys never appear in logs.
 */
const SECRET_ENV_NAMES = ['OPENAI_API_KEY', 'STATSIG_CONSOLE_API_KEY', 'STATSIG_HACK_API_KEY'];

/** Patterns that look like API keys even when we were not told the value. */
const KEY_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}\b/g,
  /\bconsole-[A-Za-z0-9_-]{8,}\b/g,
  /(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi,
];

/**
 * The userinfo of a URL (`scheme://user:pass@host` or `scheme://token@host`): everything between
 * `//` and the last `@` of the authority (a password may hold an unescaped `@`; no `/`, `?`, `#`,
 * quote or whitespace in between).
 */
const URL_USERINFO = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#'"<>`]+@/g;

/** A URL's credentials replaced by `***`: `http://user:pw@host/v1` → `http://***@host/v1`. Pure. */
export function redactUrlCredentials(text: string): string {
  // Most text holds no URL: one scan for '://' instead of the pattern (the job log redacts every query).
  return text.includes('://') ? text.replace(URL_USERINFO, '$1***@') : text;
}

export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string | undefined> = []) {
    this.secrets = [...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  }

  static fromEnv(env: NodeJS.ProcessEnv): Redactor {
    return new Redactor(SECRET_ENV_NAMES.map((n) => env[n]));
  }

  add(secret: string | undefined): void {
    if (secret && secret.length >= 4 && !this.secrets.includes(secret)) this.secrets.push(secret);
  }

  redact(text: string): string {
    let out = redactUrlCredentials(text);
    for (const s of this.secrets) out = out.split(s).join('***');
    for (const p of KEY_PATTERNS) {
      out = out.replace(p, (match, prefix: unknown) => (typeof prefix === 'string' && /^Bearer/i.test(prefix) ? `${prefix}***` : '***'));
    }
    return out;
  }
}
