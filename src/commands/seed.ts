import { Command, Option } from '../core/commander.js';
import fs from 'node:fs';
import path from 'node:path';
import type { App } from '../cli.js';
import type { CommandContext } from '../core/context.js';
import { UsageError, UserError } from '../core/errors.js';
import type { ProjectSpec } from '../ai/seed/schema.js';
import type { PushResult } from '../ai/seed/push.js';
import type { LlmUsage } from '../ai/llm.js';
import { pushReporters } from './push.js';
import { dbArg } from '../core/config.js';
import { parseNumber } from '../core/options.js';
import { terminalWidth, wrap } from '../core/text.js';

const DOMAIN_CHOICES = ['ecommerce', 'saas', 'gaming', 'media', 'fintech'] as const;
export const DEFAULT_START = '2025-11-03';

interface SeedOpts {
  users: string;
  days: string;
  preDays: string;
  seed: string;
  start: string;
  offline?: boolean;
  domain?: (typeof DOMAIN_CHOICES)[number];
  out?: string;
  push?: boolean;
  apiUrl: string;
  dryRun?: boolean;
  startExperiments?: boolean;
  force?: boolean;
  plantInteraction?: string | true;
}

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** Asks a yes/no question on an interactive terminal (stderr + stdin). */
async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  const stdin = ctx.io.stdin as unknown as NodeJS.ReadableStream;
  if (typeof stdin.on !== 'function') return false;
  const readline = await import('node:readline/promises');
  const rl = readline.createInterface({ input: stdin, output: ctx.io.stderr as unknown as NodeJS.WritableStream });
  try {
    // Wrapped to the terminal between words, so a path in the question is never split.
    const answer = await rl.question(`${wrap(`${question} [y/N]`, terminalWidth(ctx.io.stderr, ctx.env))} `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export function seedCommand(app: App): Command {
  return new Command('seed')
    .description('generate a whole dummy experimentation project (entities, users, exposures, events, true effects) from a prompt')
    .argument('[prompt]', 'what the company is, e.g. "a tech company made by evil villains whose clients are also villains"', '')
    .option('--users <n>', 'number of users', '10000')
    .option('--days <n>', 'days of the experiment period', '28')
    .option('--pre-days <n>', 'days of history before the experiments start', '14')
    .option('--seed <n>', 'random seed: the same seed gives the same data', '42')
    .option('--start <date>', 'experiment start date (YYYY-MM-DD)', DEFAULT_START)
    .option('--offline', 'use a built-in domain pack instead of a model (the default when no model is configured)')
    .addOption(new Option('--domain <domain>', 'domain pack (offline) or industry hint (model)').choices([...DOMAIN_CHOICES]))
    .option('--out <file>', 'also write the project spec (Console API bodies + simulation settings) as JSON')
    .option('--push', 'create the entities in Statsig through the Console API (env STATSIG_CONSOLE_API_KEY)')
    .option('--api-url <url>', 'Console API base URL for --push', 'https://statsigapi.net')
    .option('--dry-run', 'with --push: print the exact requests instead of sending them')
    .option('--start-experiments', 'with --push: create the experiments started (active); by default they are created in setup')
    .option('--force', 'replace the project in the store without asking')
    .option('--plant-interaction [factor]', 'plant an interaction between two overlapping experiments: units in a treatment group of both get this factor on one event (default 1.25); `interactions` should find it')
    .addHelpText(
      'after',
      `
The store's previous project is replaced in one transaction (asked first on a terminal; --force elsewhere).
Without a configured model (OPENAI_API_KEY or OPENAI_BASE_URL) the offline domain packs are used.
Every precondition (the Console API key for --push, the store, the question) is checked before the
model is called or any data is generated. \`statsig-hack push\` pushes what is in the store later.

Examples:
  $ statsig-hack seed "a tech company run by villains for villains"
  $ statsig-hack seed "mobile puzzle game" --offline --users 50000 --seed 7 --json
  $ statsig-hack seed "neobank for freelancers" --domain fintech --out project.json --push --dry-run`,
    )
    .action(async (prompt: string, opts: SeedOpts, cmd: Command) => {
      const ctx = await app.context(cmd);
      const users = intOption('--users', opts.users, 1, 20_000_000);
      const days = intOption('--days', opts.days, 1, 366);
      const preDays = intOption('--pre-days', opts.preDays, 0, 366);
      const seed = intOption('--seed', opts.seed, 0, 2_147_483_647);
      const plantInteraction = opts.plantInteraction === undefined ? undefined : opts.plantInteraction === true ? 1.25 : parseNumber('--plant-interaction', opts.plantInteraction, { min: 0.1, max: 10, example: 1.25 });
      if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.start) || Number.isNaN(Date.parse(`${opts.start}T00:00:00Z`))) {
        throw new UsageError(`--start must be a date like 2025-11-03, got "${opts.start}"`);
      }
      if (opts.dryRun && !opts.push) throw new UsageError('--dry-run only applies to --push', { hint: 'add --push, or drop --dry-run' });
      if (opts.startExperiments && !opts.push) throw new UsageError('--start-experiments only applies to --push', { hint: 'add --push, or drop --start-experiments' });
      // Preconditions before any work: no model call, no data, no store change when one fails.
      const { requireApiUrl, requireConsoleKey } = await import('../ai/seed/push.js');
      if (opts.push && !opts.dryRun) requireConsoleKey(ctx.env.STATSIG_CONSOLE_API_KEY);
      if (opts.push) requireApiUrl(opts.apiUrl);
      const offline = Boolean(opts.offline) || !ctx.settings.llmConfigured;
      if (!opts.offline && !ctx.settings.llmConfigured) {
        ctx.out.info('No model configured (OPENAI_API_KEY / OPENAI_BASE_URL): generating the project offline from a domain pack.');
      }

      const { Store } = await import('../store/store.js');
      const service = await import('../ai/seed/service.js');
      // The store is checked (read-only) before the model is asked, and written only after.
      if (fs.existsSync(ctx.settings.db.value)) {
        const current = await Store.open(ctx.settings.db.value, { readOnly: true });
        let existing: Awaited<ReturnType<typeof service.existingProject>>;
        try {
          existing = await service.existingProject(current);
        } finally {
          current.close();
        }
        if (existing && !opts.force) {
          const what = `${existing.name ? `"${existing.name}" ` : ''}(${existing.users.toLocaleString('en-US')} users, ${existing.events.toLocaleString('en-US')} events, ${existing.entities} entities)`;
          if (!ctx.interactive) {
            throw new UserError(`the store ${ctx.settings.db.value} already has a project ${what}`, {
              hint: 'pass --force to replace it, or --db with another store',
              code: 'SEED_EXISTS',
            });
          }
          if (!(await confirm(ctx, `Replace the project ${what} in ${ctx.settings.db.value}?`))) {
            throw new UserError('seed cancelled: the project was kept', { code: 'SEED_CANCELLED' });
          }
        }
      }

      let spec: ProjectSpec;
      let llmUsage: LlmUsage | null = null;
      let llmModel: string | null = null;
      let domain: string | null = opts.domain ?? null;
      let theme: string | null = null;
      if (offline) {
        const { offlineProjectSpec } = await import('../ai/seed/offline.js');
        const off = offlineProjectSpec({ prompt, seed, ...(opts.domain ? { domain: opts.domain } : {}) });
        spec = off.spec;
        domain = off.domain;
        theme = off.theme.theme;
        ctx.out.info(`Domain pack: ${off.domain}${off.matched.length > 0 ? ` (matched: ${off.matched.join(', ')})` : opts.domain ? '' : ` (no keyword matched; pick one with --domain ${DOMAIN_CHOICES.join('|')})`}, theme "${off.theme.theme}".`);
      } else {
        const { createLlmClientFor } = await import('../ai/llm.js');
        const { llmProjectSpec } = await import('../ai/seed/llm-spec.js');
        const llm = createLlmClientFor(ctx);
        llmModel = llm.model('seed');
        const { phase } = await import('../core/progress.js');
        try {
          spec = await phase(await ctx.progress(), `asking ${llmModel} for a project spec`, () => llmProjectSpec(llm, { prompt, ...(opts.domain ? { domain: opts.domain } : {}) }), {
            done: 'model answered',
          });
        } finally {
          llmUsage = llm.usage();
        }
      }

      if (opts.out) {
        const file = path.resolve(ctx.cwd, opts.out);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
      }

      const store = await Store.open(ctx.settings.db.value, { create: true });
      let summary: Awaited<ReturnType<typeof service.writeSeedProject>>;
      try {
        const progress = await ctx.progress();
        summary = await service.writeSeedProject(
          store,
          spec,
          { seed, users, days, preDays, start: opts.start, plantInteraction },
          { prompt, source: offline ? 'offline' : 'llm', domain, theme },
          progress,
        );
        const { notifyCliChanges, reportNotify } = await import('../server/cli-notify.js');
        const { PUSH_ORDER } = await import('../ai/seed/schema.js');
        const changes = PUSH_ORDER.flatMap((kind) => spec[kind].map((e) => ({ kind, id: e.name, action: 'created' as const })));
        reportNotify(ctx.out, await notifyCliChanges(store, 'seed', changes));
      } finally {
        store.close();
      }

      let push: PushResult | null = null;
      if (opts.push) {
        const { pushProject } = await import('../ai/seed/push.js');
        push = await pushProject(spec, {
          apiUrl: opts.apiUrl,
          apiKey: ctx.env.STATSIG_CONSOLE_API_KEY,
          dryRun: Boolean(opts.dryRun),
          start: Boolean(opts.startExperiments),
          ...pushReporters(ctx, opts.apiUrl, Boolean(opts.dryRun)),
        });
      }

      const result = {
        ...summary,
        db: ctx.settings.db.value,
        out: opts.out ? path.resolve(ctx.cwd, opts.out) : null,
        llm_usage: llmUsage,
        llm_model: llmModel,
        push,
      };
      for (const n of summary.notices) ctx.out.warn(n);
      const { renderSeed } = await import('../ui/seed.js');
      const { targetOf } = await import('../ui/format.js');
      ctx.out.result(result, () => renderSeed(result, targetOf(ctx.io.stdout, ctx.env), { cwd: ctx.cwd, dbArg: dbArg(ctx.settings.db, ctx.cwd), cli: ctx.out.cli }));
    });
}
