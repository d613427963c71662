import path from 'node:path';
import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { parseNumber } from '../core/options.js';
import type { WrittenWrapped } from '../charts/wrapped.js';

interface WrappedFlags {
  year?: string;
  redact?: boolean;
  out?: string;
  story?: boolean;
  both?: boolean;
  preDays: string;
}

/** `wrapped.png` -> `wrapped-story.png` (where --both writes the story). */
export function storyPath(file: string): string {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}-story${ext}`;
}

export function wrappedCommand(app: App): Command {
  return new Command('wrapped')
    .description('Statsig Wrapped: a shareable card of the year in experiments (wins, biggest lift, units, days saved by CUPAC, awards)')
    .option('--year <year>', 'the year to sum up (default: the latest year with experiments in the store)')
    .option('--redact', 'hide metric and experiment names and metric values (neutral labels instead)')
    .option('--out <file>', 'the picture to write: .png or .svg (default wrapped.png; with --json, none unless given)')
    .option('--story', 'a 1080x1920 story instead of the 1200x630 card')
    .option('--both', 'write the card to --out and the story next to it (<name>-story.<ext>)')
    .option('--pre-days <days>', 'days before first exposure used for the CUPAC covariates (as analyze)', '14')
    .addHelpText(
      'after',
      `
Award rules and how each number is computed: see the README (section "wrapped"), or --json (rules).

Examples:
  $ statsig-hack wrapped --out wrapped.png
  $ statsig-hack wrapped --year 2026 --redact --story --out story.png
  $ statsig-hack wrapped --both --out wrapped.png
  $ statsig-hack wrapped --json`,
    )
    .action(async (flags: WrappedFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const year = flags.year === undefined ? undefined : parseNumber('--year', flags.year, { min: 1970, max: 9999, integer: true, example: 2026 });
      const preDays = parseNumber('--pre-days', flags.preDays, { min: 1, max: 365, integer: true, example: 14 });
      if (flags.story && flags.both) throw new UsageError('pass either --story or --both, not both', { hint: '--both writes the card and the story' });
      const outArg = flags.out ?? (ctx.out.json ? undefined : 'wrapped.png');
      const file = outArg === undefined ? undefined : path.resolve(ctx.cwd, outArg);
      const { wrappedFormat, wrappedFromStore, writeWrappedData } = await import('../charts/wrapped.js');
      if (file) wrappedFormat(file);
      const { Store } = await import('../store/store.js');
      const store = await Store.open(ctx.settings.db.value, { readOnly: true });
      const progress = await ctx.progress();
      let started = false;
      let data;
      try {
        data = await wrappedFromStore(store, {
          year,
          redact: Boolean(flags.redact),
          preDays,
          onExperiment: (_name, i, total) => {
            if (!started) progress.start("analysing the year's experiments", total);
            started = true;
            progress.update(i, total);
          },
        });
      } finally {
        // A progress line that never started has nothing to close (stopping it would print one).
        if (started) progress.stop();
        store.close();
      }
      const written: WrittenWrapped[] = [];
      if (file) {
        written.push(await writeWrappedData(data, file, flags.story ? 'story' : 'card'));
        if (flags.both) written.push(await writeWrappedData(data, storyPath(file), 'story'));
      }
      for (const n of data.notes) ctx.out.warn(n);
      const { renderWrapped } = await import('../charts/wrapped-text.js');
      ctx.out.result({ ...data, files: written }, () => renderWrapped(data, written, ctx.cwd));
    });
}
