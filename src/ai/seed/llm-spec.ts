/**
 * The LLM path of `seed`: asks the model (through src/ai/llm.ts) for a project spec, checks it
 * against the schema and the referential rules, and sends violations back for repair (at most 3
 * repair turns). Fails with the list of violations when the model never gets it right.
 */
import fs from 'node:fs';
import type { LlmClient } from '../llm.js';
import { loadPack, seedTemplatesDir, themeFromPrompt, type Domain } from './offline.js';
import { ProjectSpecSchema, type ProjectSpec } from './schema.js';
import { validateProjectSpec } from './validate.js';

export const SEED_MAX_REPAIRS = 3;

/** The system prompt: templates/seed/prompt.md with the ecommerce pack as the example. */
export function seedSystemPrompt(dir = seedTemplatesDir()): string {
  const template = fs.readFileSync(`${dir}prompt.md`, 'utf8');
  const pack = loadPack('ecommerce', dir);
  const theme = themeFromPrompt('', pack);
  const example = JSON.stringify(pack.spec)
    .replace(/\{theme\}/g, theme.theme)
    .replace(/\{Theme\}/g, theme.Theme)
    .replace(/\{Brand\}/g, theme.Brand)
    .replace(/\{prompt\}/g, 'an online store');
  return template.replace('{{example}}', example);
}

export function seedUserMessage(prompt: string, domain?: Domain): string {
  const lines = [`Company: ${prompt.trim() || 'a consumer app'}`];
  if (domain) lines.push(`Industry: ${domain}`);
  lines.push('Return the project spec JSON.');
  return lines.join('\n');
}

/** Asks the model for a project spec; throws a UserError (from the client) when it stays invalid. */
export async function llmProjectSpec(llm: LlmClient, opts: { prompt: string; domain?: Domain; dir?: string }): Promise<ProjectSpec> {
  return llm.structured<ProjectSpec>({
    task: 'seed',
    schemaName: 'project_spec',
    schema: ProjectSpecSchema,
    messages: [
      { role: 'system', content: seedSystemPrompt(opts.dir) },
      { role: 'user', content: seedUserMessage(opts.prompt, opts.domain) },
    ],
    validate: (spec) => validateProjectSpec(spec),
    maxRepairs: SEED_MAX_REPAIRS,
    temperature: 0.7,
  });
}
