/**
 * Every subcommand, in the order `--help` lists them. Each entry loads its module only when that
 * command runs (or when `--help`, completion or a typo needs every command), so a run pays only
 * for the command it uses.
 *
 * To add a command: `{ name: 'foo', load: async () => (await import('./foo.js')).fooCommand },`
 * (a plain factory such as `fooCommand` also works, but is then loaded on every run).
 */
import type { Command } from 'commander';
import type { App } from '../core/context.js';

export type CommandFactory = (app: App) => Command;

export interface LazyCommand {
  name: string;
  load(): Promise<CommandFactory>;
}

export type CommandEntry = CommandFactory | LazyCommand;

export const COMMANDS: CommandEntry[] = [
  { name: 'demo', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'seed', load: async () => (await import('./seed.js')).seedCommand },
  { name: 'push', load: async () => (await import('./push.js')).pushCommand },
  { name: 'serve', load: async () => (await import('./serve.js')).serveCommand },
  { name: 'notify', load: async () => (await import('./notify.js')).notifyCommand },
  { name: 'analyze', load: async () => (await import('./analyze.js')).analyzeCommand },
  { name: 'power', load: async () => (await import('./power.js')).powerCommand },
  { name: 'interactions', load: async () => (await import('./interactions.js')).interactionsCommand },
  { name: 'forecast', load: async () => (await import('./forecast.js')).forecastCommand },
  { name: 'whatchanged', load: async () => (await import('./whatchanged.js')).whatchangedCommand },
  { name: 'wrapped', load: async () => (await import('./wrapped.js')).wrappedCommand },
  { name: 'map', load: async () => (await import('./map.js')).mapCommand },
  { name: 'ideas', load: async () => (await import('./ideas.js')).ideasCommand },
  { name: 'codemonkey', load: async () => (await import('./codemonkey.js')).codemonkeyCommand },
  { name: 'init', load: async () => (await import('./init.js')).initCommand },
  { name: 'import', load: async () => (await import('./import.js')).importCommand },
  { name: 'query', load: async () => (await import('./query.js')).queryCommand },
  { name: 'ask', load: async () => (await import('./ask.js')).askCommand },
  { name: 'search', load: async () => (await import('./search.js')).searchCommand },
  { name: 'show', load: async () => (await import('./show.js')).showCommand },
  { name: 'chat', load: async () => (await import('./chat.js')).chatCommand },
  { name: 'explain', load: async () => (await import('./explain.js')).explainCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'doctor', load: async () => (await import('./doctor.js')).doctorCommand },
  { name: 'profile', load: async () => (await import('./profile.js')).profileCommand },
  { name: 'jobs', load: async () => (await import('./jobs.js')).jobsCommand },
  { name: 'completion', load: async () => (await import('./completion.js')).completionCommand },
  { name: 'rollout', load: async () => (await import('./rollout.js')).rolloutCommand },
];

/** The factories to register for a run: only `name`'s when it names a lazy command, else all of them. */
export async function loadCommands(entries: readonly CommandEntry[], name: string | undefined): Promise<CommandFactory[]> {
  const lazy = (e: CommandEntry): e is LazyCommand => typeof e !== 'function';
  const only = name === undefined ? undefined : entries.find((e) => lazy(e) && e.name === name);
  const chosen = only ? [only] : entries;
  return Promise.all(chosen.map((e) => (lazy(e) ? e.load() : Promise.resolve(e))));
}
