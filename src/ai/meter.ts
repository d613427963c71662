/**
 * Metering for the LLM client: how many tokens a chat completion is counted at, whatever the
 * endpoint claims. Pure functions of the request body and the reply bytes, plus `readCapped`
 * (a response body read up to a byte limit); the client (src/ai/llm.ts) applies them to every
 * HTTP attempt it makes, and the Console API push reuses `readCapped`.
 *
 * The rules (a hostile or careless server can neither hide spend nor invent it):
 *  - A reply may carry at most `replyByteLimit(max_completion_tokens)` bytes on the wire; past
 *    that the response is abandoned and the call is counted at its worst case.
 *  - Completion tokens = max(reported, reply bytes / 8), never more than the completion cap
 *    (`max_completion_tokens`, or DEFAULT_COMPLETION_CAP when the request sent none): a provider
 *    cannot bill past the cap it was sent, so a larger figure is a lie and is clamped.
 *  - Prompt tokens = the reported figure, never more than the request's own text bytes (a token
 *    covers at least one byte) plus an allowance per image.
 *  - Missing figures are estimated: text bytes / 4 (+ an allowance per image), reply bytes / 4.
 *    (Bytes / 8 is the floor under a reported figure: generated text averages far fewer bytes
 *    per token, so a count below it is an under-report, while honest counts stay untouched.)
 *  - No usage, a clamped figure, or an abandoned call (timeout, cancel, oversize) marks the call
 *    `estimated`.
 */

/** Bytes of reply allowed per completion token (JSON escaping, long whitespace tokens, envelope). */
export const REPLY_BYTES_PER_TOKEN = 16;
/** Fixed envelope allowance of a reply (id, model, usage, ...). */
export const REPLY_OVERHEAD_BYTES = 16 * 1024;
/** The completion cap assumed when a request sends no max_completion_tokens. */
export const DEFAULT_COMPLETION_CAP = 16_384;
/** Error bodies (HTML proxy pages, ...) are cut at this many bytes. */
export const ERROR_BODY_MAX_BYTES = 64 * 1024;
/** Characters per token for estimates. */
export const CHARS_PER_TOKEN = 4;
/** Most bytes one generated token averages over a reply: below bytes / this, a report is too low. */
export const MAX_BYTES_PER_TOKEN = 8;
/** Estimated prompt tokens of one image (low/auto detail on current models). */
export const IMAGE_TOKENS_ESTIMATE = 1_000;
/** Most prompt tokens one image may be billed at (high detail, many tiles, mini models). */
export const IMAGE_TOKENS_BOUND = 40_000;

export interface RequestShape {
  model: string;
  /** UTF-8 bytes of the whole request body. */
  bytes: number;
  /** Bytes of the body less the image data URLs. */
  textBytes: number;
  images: number;
  /** max_completion_tokens (or max_tokens) sent, null when none. */
  maxCompletionTokens: number | null;
}

export interface Tokens {
  prompt: number;
  completion: number;
}

export interface Counted extends Tokens {
  estimated: boolean;
  /** A reported figure was above its bound (a lie) and was lowered. */
  clamped?: boolean;
  /** Why the figures are estimates (empty when the reported usage was used as is). */
  notes: string[];
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** What the metering needs to know about a chat completion request body. */
export function requestShape(body: string): RequestShape {
  const bytes = byteLength(body);
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = null;
  }
  const b = (parsed ?? {}) as { model?: unknown; max_completion_tokens?: unknown; max_tokens?: unknown; messages?: unknown };
  let imageBytes = 0;
  let images = 0;
  if (Array.isArray(b.messages)) {
    for (const m of b.messages as { content?: unknown }[]) {
      if (!Array.isArray(m?.content)) continue;
      for (const part of m.content as { type?: unknown; image_url?: { url?: unknown } }[]) {
        if (part?.type === 'image_url' && typeof part.image_url?.url === 'string') {
          images += 1;
          imageBytes += byteLength(part.image_url.url);
        }
      }
    }
  }
  const cap = typeof b.max_completion_tokens === 'number' ? b.max_completion_tokens : typeof b.max_tokens === 'number' ? b.max_tokens : null;
  return {
    model: typeof b.model === 'string' ? b.model : 'unknown-model',
    bytes,
    textBytes: Math.max(0, bytes - imageBytes),
    images,
    maxCompletionTokens: cap !== null && Number.isFinite(cap) && cap > 0 ? Math.floor(cap) : null,
  };
}

/** The completion tokens a request can be billed for at most. */
export function completionCap(shape: Pick<RequestShape, 'maxCompletionTokens'>): number {
  return shape.maxCompletionTokens ?? DEFAULT_COMPLETION_CAP;
}

/** Bytes a successful reply may have on the wire before it is abandoned. */
export function replyByteLimit(maxCompletionTokens: number | null | undefined): number {
  return REPLY_OVERHEAD_BYTES + completionCap({ maxCompletionTokens: maxCompletionTokens ?? null }) * REPLY_BYTES_PER_TOKEN;
}

export function estimatePromptTokens(shape: Pick<RequestShape, 'textBytes' | 'images'>): number {
  return Math.ceil(shape.textBytes / CHARS_PER_TOKEN) + shape.images * IMAGE_TOKENS_ESTIMATE;
}

export function promptTokenBound(shape: Pick<RequestShape, 'textBytes' | 'images'>): number {
  return shape.textBytes + shape.images * IMAGE_TOKENS_BOUND;
}

/** The tokens an abandoned call (timeout, cancel, oversize reply) is counted at. */
export function worstCaseTokens(shape: RequestShape): Tokens {
  return { prompt: estimatePromptTokens(shape), completion: completionCap(shape) };
}

/** Bytes of what the model generated in a chat completion JSON (content, refusals, tool calls). */
export function generatedBytes(reply: unknown): number {
  const r = reply as { choices?: { message?: { content?: unknown; refusal?: unknown; tool_calls?: { function?: { name?: unknown; arguments?: unknown } }[] } }[] } | null;
  if (!r || !Array.isArray(r.choices)) return 0;
  let n = 0;
  for (const c of r.choices) {
    const m = c?.message;
    if (!m) continue;
    if (typeof m.content === 'string') n += byteLength(m.content);
    if (typeof m.refusal === 'string') n += byteLength(m.refusal);
    if (Array.isArray(m.tool_calls)) {
      for (const t of m.tool_calls) {
        if (typeof t?.function?.name === 'string') n += byteLength(t.function.name);
        if (typeof t?.function?.arguments === 'string') n += byteLength(t.function.arguments);
      }
    }
  }
  return n;
}

function tokenFigure(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? Math.floor(x) : null;
}

/**
 * The tokens a completed call is counted at: `reported` is the reply's `usage` (or null),
 * `replyBytes` the bytes the model generated (or, when the reply could not be parsed, all the
 * bytes received).
 */
export function countUsage(shape: RequestShape, reported: unknown, replyBytes: number): Counted {
  const u: { prompt_tokens?: unknown; completion_tokens?: unknown } | null = typeof reported === 'object' && reported !== null ? reported : null;
  const notes: string[] = [];
  let clamped = false;
  const cap = completionCap(shape);
  const bound = promptTokenBound(shape);
  const rPrompt = tokenFigure(u?.prompt_tokens);
  const rCompletion = tokenFigure(u?.completion_tokens);

  let prompt: number;
  if (rPrompt === null) {
    prompt = estimatePromptTokens(shape);
    notes.push(u ? 'no prompt token count in the reply' : 'no usage in the reply');
  } else if (rPrompt > bound) {
    prompt = bound;
    clamped = true;
    notes.push(`reported ${rPrompt} prompt tokens for a ${shape.textBytes}-byte request; counted ${bound}`);
  } else {
    prompt = rPrompt;
  }

  const floor = Math.ceil(replyBytes / MAX_BYTES_PER_TOKEN);
  let completion: number;
  if (rCompletion === null) {
    completion = Math.ceil(replyBytes / CHARS_PER_TOKEN);
    if (u && !notes.includes('no usage in the reply')) notes.push('no completion token count in the reply');
  } else if (floor > rCompletion) {
    completion = floor;
    notes.push(`reported ${rCompletion} completion tokens for ${replyBytes} bytes of reply; counted ${floor}`);
  } else {
    completion = rCompletion;
  }
  if (completion > cap) {
    if (rCompletion !== null && rCompletion > cap) clamped = true;
    notes.push(`counted ${completion} completion tokens, more than the cap of ${cap} the request sent; counted ${cap}`);
    completion = cap;
  }
  return { prompt, completion, estimated: notes.length > 0, clamped, notes };
}

/** Reads a response body, stopping (and cancelling the rest) once it passes `max` bytes. */
export async function readCapped(res: Response, max: number): Promise<{ bytes: Uint8Array; overflow: boolean }> {
  if (!res.body) return { bytes: new Uint8Array(0), overflow: false };
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop early cancels the rest of the stream (the connection is dropped).
  for await (const value of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (total + value.length > max) {
      chunks.push(value.subarray(0, max - total));
      total = max;
      return { bytes: Buffer.concat(chunks, total), overflow: true };
    }
    chunks.push(value);
    total += value.length;
  }
  return { bytes: Buffer.concat(chunks, total), overflow: false };
}
