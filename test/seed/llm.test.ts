import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { offlineProjectSpec } from '../../src/ai/seed/offline.js';
import { ProjectSpecSchema, type ProjectSpec } from '../../src/ai/seed/schema.js';
import type { z } from 'zod';

/** Sets every optional field a value leaves out to null (as a model told "use null where unknown" does). */
function fillNulls(schema: z.ZodType, value: unknown): { value: unknown; filled: number } {
  let filled = 0;
  const walk = (s: z.ZodType, v: unknown): unknown => {
    const def = (s as unknown as { def: { type: string; innerType?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType> } }).def;
    if ((def.type === 'optional' || def.type === 'nullable') && def.innerType) return v === null || v === undefined ? v : walk(def.innerType, v);
    if (def.type === 'array' && def.element && Array.isArray(v)) return v.map((x) => walk(def.element!, x));
    if (def.type === 'object' && def.shape && v && typeof v === 'object') {
      const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
      for (const [k, field] of Object.entries(def.shape)) {
        if (out[k] === undefined && field.safeParse(undefined).success && !field.safeParse(null).success) {
          out[k] = null;
          filled += 1;
        } else if (out[k] !== undefined) {
          out[k] = walk(field, out[k]);
        }
      }
      return out;
    }
    return v;
  };
  return { value: walk(schema, value), filled };
}

const KEY = 'sk-test-seed-0123456789';
const SMALL = ['--users', '400', '--days', '5', '--pre-days', '2'];
const PROMPT = 'Create a tech company made by evil villains whose clients are also villains';
let server: OpenAIServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

/** A model-written spec: the saas pack re-themed by hand, as a model would answer. */
function modelSpec(): ProjectSpec {
  const spec = structuredClone(offlineProjectSpec({ prompt: PROMPT, domain: 'saas', seed: 3 }).spec);
  spec.project = { name: 'Doom Cloud Inc.', description: 'Cloud software for villains, by villains.' };
  return spec;
}

function invalidSpec(): ProjectSpec {
  const spec = modelSpec();
  spec.experiments[0]!.groups[1]!.size = 40; // sizes sum to 90
  spec.experiments[1]!.targetingGateID = 'death_ray_gate'; // no such gate
  return spec;
}

function env(url: string): NodeJS.ProcessEnv {
  return baseEnv({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: url });
}

async function fingerprint(cwd: string): Promise<unknown> {
  const r = await runCli(['query', "SELECT (SELECT count(*) FROM events) AS e, (SELECT sum(value) FROM events) AS v, (SELECT value FROM project WHERE key = 'project') AS p", '--json'], { cwd });
  return r.json().rows[0];
}

describe('seed with a model', () => {
  it('uses a valid spec from the model as is', async () => {
    server = await startOpenAIServer([{ json: modelSpec() }]);
    const cwd = tmpDir();
    const r = await runCli(['seed', PROMPT, ...SMALL, '--json'], { cwd, env: env(server.url) });
    expect(r.code, r.stderr).toBe(0);
    const j = r.json();
    expect(j.source).toBe('llm');
    expect(j.project.name).toBe('Doom Cloud Inc.');
    expect(j.counts.experiments).toBe(4);
    expect(j.llm_usage.calls).toBe(1);
    const chat = server.chatRequests();
    expect(chat).toHaveLength(1);
    const messages = chat[0]!.body.messages as { role: string; content: string }[];
    expect(messages[0]!.content).toMatch(/snake_case/);
    expect(messages[0]!.content).toMatch(/sizes .* sum to exactly 100/);
    expect(messages.at(-1)!.content).toContain(PROMPT);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('a null-filled answer (null for every unset optional field) validates the first time, no repair turn', async () => {
    const { value, filled } = fillNulls(ProjectSpecSchema, modelSpec());
    expect(filled).toBeGreaterThan(20);
    expect(ProjectSpecSchema.safeParse(value).success).toBe(false); // the schema alone rejects it
    server = await startOpenAIServer([{ json: value }]);
    const cwd = tmpDir();
    const r = await runCli(['seed', PROMPT, ...SMALL, '--json'], { cwd, env: env(server.url) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().project.name).toBe('Doom Cloud Inc.');
    expect(server.chatRequests()).toHaveLength(1);
    // the prompt says so too
    const system = (server.chatRequests()[0]!.body.messages as { role: string; content: string }[])[0]!.content;
    expect(system).toMatch(/may be left out or set to null/);
    expect(system).toMatch(/use null where a value is unknown/);
  });

  it('sends the violations back and uses the repaired spec from the second turn', async () => {
    server = await startOpenAIServer([{ json: invalidSpec() }, { json: modelSpec() }]);
    const cwd = tmpDir();
    const r = await runCli(['seed', PROMPT, ...SMALL, '--json'], { cwd, env: env(server.url) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().project.name).toBe('Doom Cloud Inc.');
    const chat = server.chatRequests();
    expect(chat).toHaveLength(2);
    const repair = (chat[1]!.body.messages as { role: string; content: string }[]).at(-1)!.content;
    expect(repair).toMatch(/group sizes sum to 90, they must sum to 100/);
    expect(repair).toMatch(/targetingGateID "death_ray_gate" is not a defined gate/);
  });

  it('fails with the violations after 3 repair turns and leaves the store untouched', async () => {
    const cwd = tmpDir();
    expect((await runCli(['seed', 'shop', '--offline', ...SMALL], { cwd })).code).toBe(0);
    const before = await fingerprint(cwd);
    server = await startOpenAIServer([{ json: invalidSpec() }, { json: invalidSpec() }, { json: invalidSpec() }, { json: invalidSpec() }]);
    const r = await runCli(['seed', PROMPT, ...SMALL, '--force', '--json'], { cwd, env: env(server.url) });
    expect(r.code).toBe(1);
    const err = r.json().error;
    expect(err.code).toBe('LLM_INVALID_OUTPUT');
    expect(err.message).toMatch(/still invalid after 4 attempts/);
    expect(err.message).toMatch(/group sizes sum to 90/);
    expect(server.chatRequests()).toHaveLength(4);
    expect(await fingerprint(cwd)).toEqual(before);
  });

  it('a failed model call ends the progress as failed, never "model answered" (an error reply, an unreachable port)', async () => {
    server = await startOpenAIServer([{ status: 401, error: { message: 'bad key', type: 'invalid_request_error', code: 'invalid_api_key' } }]);
    const rejected = await runCli(['seed', PROMPT, ...SMALL], { cwd: tmpDir(), env: env(server.url) });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await runCli(['seed', PROMPT, ...SMALL], { cwd: tmpDir(), env: env(`http://127.0.0.1:${port}/v1`) });
    for (const [r, error] of [
      [rejected, /^error: .*401/m],
      [unreachable, /^error: cannot reach the model endpoint at http:\/\/127\.0\.0\.1:\d+\/v1/m],
    ] as const) {
      expect(r.code).toBe(1);
      expect(r.stderr).not.toContain('model answered');
      const lines = r.stderr.split('\n');
      const start = lines.indexOf('asking gpt-4.1-mini for a project spec...');
      expect(start, r.stderr).toBeGreaterThanOrEqual(0);
      expect(lines[start + 1], r.stderr).toMatch(/^asking gpt-4\.1-mini for a project spec: failed \([\d.]+ ?m?s\)$/);
      expect(lines[start + 2], r.stderr).toMatch(error);
    }
  });

  it('a model that answers ends the progress with "model answered"', async () => {
    server = await startOpenAIServer([{ json: modelSpec() }]);
    const r = await runCli(['seed', PROMPT, ...SMALL], { cwd: tmpDir(), env: env(server.url) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^asking gpt-4\.1-mini for a project spec\.\.\.\nmodel answered \([\d.]+ ?m?s\)$/m);
    expect(r.stderr).not.toContain(': failed');
  });

  it('the human output shows the model, its tokens and cost', async () => {
    server = await startOpenAIServer([{ json: modelSpec(), usage: { prompt_tokens: 9000, completion_tokens: 3000 } }]);
    const r = await runCli(['seed', PROMPT, ...SMALL], { cwd: tmpDir(), env: env(server.url) });
    expect(r.code, r.stderr).toBe(0);
    // gpt-4.1-mini: (9000 * 0.40 + 3000 * 1.60) / 1e6 = $0.0084
    expect(r.stdout).toContain('  model: gpt-4.1-mini: 1 call, 12,000 tokens (9,000 in, 3,000 out), $0.0084\n');
  });

  it('says when the figures are estimated (a reply without usage)', async () => {
    server = await startOpenAIServer([{ json: modelSpec(), usage: null }]);
    const r = await runCli(['seed', PROMPT, ...SMALL], { cwd: tmpDir(), env: env(server.url) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ {2}model: gpt-4\.1-mini: 1 call, [\d,]+ tokens \([\d,]+ in, [\d,]+ out\), \$0\.\d{4} \(1 call estimated/);
  });

  it('seed --push without STATSIG_CONSOLE_API_KEY fails before calling the model, generating data or touching the store', async () => {
    const cwd = tmpDir();
    expect((await runCli(['seed', 'shop', '--offline', ...SMALL], { cwd })).code).toBe(0);
    const before = await fingerprint(cwd);
    server = await startOpenAIServer([{ json: modelSpec() }]);
    const r = await runCli(['seed', PROMPT, ...SMALL, '--force', '--push', '--json'], { cwd, env: env(server.url) });
    expect(r.code).toBe(1);
    expect(r.json().error.code).toBe('PUSH_NO_KEY');
    expect(server.chatRequests()).toHaveLength(0);
    expect(await fingerprint(cwd)).toEqual(before);
    // and in a fresh folder no store is created
    const fresh = tmpDir();
    const r2 = await runCli(['seed', PROMPT, ...SMALL, '--push', '--json'], { cwd: fresh, env: env(server.url) });
    expect(r2.json().error.code).toBe('PUSH_NO_KEY');
    expect(fs.existsSync(path.join(fresh, '.statsig-hack'))).toBe(false);
    expect(server.chatRequests()).toHaveLength(0);
  });

  it('a model that fails leaves no store behind in a fresh folder, and a bad --api-url fails before the model', async () => {
    const fresh = tmpDir();
    server = await startOpenAIServer([{ json: invalidSpec() }, { json: invalidSpec() }, { json: invalidSpec() }, { json: invalidSpec() }]);
    const r = await runCli(['seed', PROMPT, ...SMALL, '--json'], { cwd: fresh, env: env(server.url) });
    expect(r.json().error.code).toBe('LLM_INVALID_OUTPUT');
    expect(fs.existsSync(path.join(fresh, '.statsig-hack'))).toBe(false);
    const calls = server.chatRequests().length;
    const bad = await runCli(['seed', PROMPT, ...SMALL, '--push', '--dry-run', '--api-url', 'ftp://user:pw@example.com', '--json'], { cwd: fresh, env: env(server.url) });
    expect(bad.json().error).toMatchObject({ code: 'PUSH_BAD_URL', message: '--api-url must be an http(s) URL without credentials: "ftp://example.com"' });
    expect(server.chatRequests()).toHaveLength(calls);
  });

  it('an existing project without --force (no terminal) fails before calling the model', async () => {
    const cwd = tmpDir();
    expect((await runCli(['seed', 'shop', '--offline', ...SMALL], { cwd })).code).toBe(0);
    server = await startOpenAIServer([{ json: modelSpec() }]);
    const r = await runCli(['seed', PROMPT, ...SMALL, '--json'], { cwd, env: env(server.url) });
    expect(r.code).toBe(1);
    expect(r.json().error.code).toBe('SEED_EXISTS');
    expect(server.chatRequests()).toHaveLength(0);
  });

  it('--offline never calls the model even when one is configured', async () => {
    server = await startOpenAIServer([]);
    const r = await runCli(['seed', PROMPT, '--offline', ...SMALL, '--json'], { cwd: tmpDir(), env: env(server.url) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().source).toBe('offline');
    expect(server.chatRequests()).toHaveLength(0);
  });
});
