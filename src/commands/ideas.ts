import path from 'node:path';
import { Command, Option } from '../core/commander.js';
import type { App } from '../cli.js';
import { parseNumber } from '../core/options.js';
import type { IdeasResult, ViewportChoice } from '../ai/ideas/service.js';
import { pathOf } from '../web/url.js';

interface IdeasFlags {
  pages: string;
  maxIdeas: string;
  viewport: ViewportChoice;
  out: string;
  offline?: boolean;
  create?: boolean;
  browser: boolean;
  timeout: string;
  model?: string;
}

function rel(cwd: string, file: string): string {
  const r = path.relative(cwd, file);
  return r === '' ? '.' : r.startsWith('..') ? file : r;
}


/** `cli`: how this user runs the CLI ("statsig-hack" or "npx statsig-hack"), for the push command. */
export function renderIdeas(r: IdeasResult, cwd: string, cli = 'statsig-hack'): string {
  const lines: string[] = [];
  const n = r.capture.pages.length;
  const how = r.mode === 'model' ? `${r.model ?? 'model'}` : 'offline CRO audit';
  const where = r.capture.mode === 'browser' ? `Chromium ${r.capture.browser ?? ''}, ${r.capture.viewports.join(' + ')}` : 'HTML only, no browser';
  lines.push(`Experiment ideas for ${r.url}`);
  // --max-ideas cut the list: say so, with the value that shows them all (at most its bound, 20).
  const capped = r.ideas_found > r.experiments.length;
  const count = capped ? `${r.experiments.length} of ${r.ideas_found} ideas` : `${r.experiments.length} idea${r.experiments.length === 1 ? '' : 's'}`;
  lines.push(`${how}: ${count} from ${n} page${n === 1 ? '' : 's'} (${where}) in ${(r.timing_ms.total / 1000).toFixed(1)} s`);
  if (capped) lines.push(r.ideas_found <= 20 ? `(the best ${r.experiments.length} by ICE score; --max-ideas ${r.ideas_found} for all)` : `(the best ${r.experiments.length} by ICE score; --max-ideas 20 for more)`);
  lines.push('');
  if (r.experiments.length > 0) {
    const width = Math.max(...r.experiments.map((i) => i.title.length), 4);
    const titleWidth = Math.min(width, 72);
    lines.push(`${'#'.padStart(2)}  ${'ICE'.padStart(4)}  ${'Idea'.padEnd(titleWidth)}  Page`);
    for (const i of r.experiments) {
      const title = i.title.length > titleWidth ? `${i.title.slice(0, titleWidth - 1)}…` : i.title;
      lines.push(`${String(i.rank).padStart(2)}  ${i.ice.score.toFixed(1).padStart(4)}  ${title.padEnd(titleWidth)}  ${pathOf(i.page_url)}`);
    }
  } else {
    lines.push(r.mode === 'model' ? 'No ideas: the model proposed none that cite elements on the captured pages.' : 'No ideas: nothing on the captured pages triggered an audit rule.');
  }
  if (r.dropped.ideas > 0) {
    lines.push('');
    lines.push(`Dropped ${r.dropped.ideas} idea${r.dropped.ideas === 1 ? '' : 's'} that cited no element on the page: ${r.dropped.details.map((d) => `“${d.title}”`).join(', ')}`);
  } else if (r.mode === 'model') {
    lines.push('');
    lines.push('Dropped 0 ideas: every idea cites elements that are on the page.');
  }
  if (r.out) {
    lines.push('');
    lines.push(`Report: ${rel(cwd, r.out.html)} and ${rel(cwd, r.out.report)} (with ${rel(cwd, r.out.json)}${r.out.screenshots > 0 ? ` and ${r.out.screenshots} screenshot${r.out.screenshots === 1 ? '' : 's'}` : ''})`);
  }
  if (r.created) {
    const made = r.created.experiments;
    const updated = made.filter((m) => m.action === 'updated').length;
    lines.push(
      `Stored ${made.length} experiment${made.length === 1 ? '' : 's'} (status setup${updated > 0 ? `, ${updated} updated` : ''}) in ${rel(cwd, r.created.db)}: ${made.map((m) => m.name).join(', ') || 'none'}`,
    );
    if (made.length > 0) lines.push(`Push them to your Statsig project with \`${cli} push\`.`);
  }
  if (r.usage && r.usage.calls > 0) {
    const cost = r.usage.unpricedModels.length > 0 ? 'cost unknown' : `$${r.usage.costUsd.toFixed(4)}`;
    lines.push(`Model: ${r.usage.calls} call${r.usage.calls === 1 ? '' : 's'}, ${r.usage.promptTokens}+${r.usage.completionTokens} tokens, ${cost}`);
  }
  return lines.join('\n');
}

export function ideasCommand(app: App): Command {
  return new Command('ideas')
    .description('experiment ideas for a website: reads its pages in a real browser and asks a model, or runs an offline CRO audit')
    .argument('<url>', 'the page to start from (http or https)')
    .option('--pages <n>', 'pages to capture, following the most prominent same-origin CTAs and nav links', '3')
    .option('--max-ideas <n>', 'ideas to keep, ranked by ICE score', '8')
    .addOption(new Option('--viewport <name>', 'viewport(s) to capture').choices(['desktop', 'mobile', 'both']).default('desktop'))
    .option('--out <dir>', 'folder for report.html, report.md, ideas.json and the screenshots', 'ideas')
    .option('--offline', 'rule-based CRO audit without a model (the default when no model is configured)')
    .option('--create', 'store each idea as an experiment (status setup) in the project store')
    .option('--no-browser', 'fetch the HTML without a browser (no screenshots, no layout facts)')
    .option('--timeout <seconds>', 'deadline per page for every step (load, scroll, screenshots); a page past it is stopped and skipped', '30')
    .option('--model <name>', 'model for this run (default: llm.models.ideas, then llm.model)')
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack ideas https://example.com
  $ statsig-hack ideas https://example.com/pricing --pages 5 --viewport both --out ideas/
  $ statsig-hack ideas https://example.com --offline --create --json`,
    )
    .action(async (url: string, opts: IdeasFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const pages = parseNumber('--pages', opts.pages, { min: 1, max: 20, integer: true, example: 3 });
      const maxIdeas = parseNumber('--max-ideas', opts.maxIdeas, { min: 1, max: 20, integer: true, example: 8 });
      const timeout = parseNumber('--timeout', opts.timeout, { min: 1, max: 600, example: 30 });
      const settings = opts.model ? { ...ctx.settings, model: { value: opts.model, source: 'flag' as const } } : ctx.settings;
      const { generateIdeas } = await import('../ai/ideas/service.js');
      const progress = await ctx.progress();
      const result = await generateIdeas({
        url,
        pages,
        maxIdeas,
        viewport: opts.viewport,
        outDir: path.resolve(ctx.cwd, opts.out),
        offline: Boolean(opts.offline),
        noBrowser: !opts.browser,
        createIn: opts.create ? ctx.settings.db.value : null,
        timeoutMs: Math.round(timeout * 1000),
        cwd: ctx.cwd,
        env: ctx.env,
        config: ctx.config,
        settings,
        redactor: ctx.redactor,
        notice: (m) => ctx.out.info(m),
        onLog: (m, level) => (level === 'warn' ? ctx.out.warn(m) : ctx.out.debug(m)),
        progress,
      });
      for (const w of result.warnings) ctx.out.warn(w);
      ctx.out.result(result, () => renderIdeas(result, ctx.cwd, ctx.out.cli.command));
    });
}
