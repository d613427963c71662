/**
 * The command list of `statsig-hack --help` without loading every command module: `npm run build`
 * writes dist/commands/manifest.json (name, usage term and description of each command), and the
 * top-level help reads it. A manifest that does not match the registry, is older than a command
 * module, or recorded another size for one (npm pack gives every file the same date) is ignored:
 * the help then loads the modules, so a stale file never shows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';
import { COMMANDS, loadCommands, type CommandEntry } from './index.js';

export interface ManifestEntry {
  name: string;
  /** What the help's command list shows, e.g. "seed [options] <prompt>". */
  term: string;
  description: string;
  /** Size in bytes of the command's module when the manifest was written. */
  size: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const MANIFEST = path.join(here, 'manifest.json');

const nameOf = (e: CommandEntry): string | null => (typeof e === 'function' ? null : e.name);

/** The manifest when it is there, complete and newer than every command module; else null. */
export function readManifest(file = MANIFEST, entries: readonly CommandEntry[] = COMMANDS): ManifestEntry[] | null {
  try {
    // A plain factory in the registry has no name to check: load the real commands then.
    const names = entries.map(nameOf);
    if (names.includes(null)) return null;
    const built = fs.statSync(file).mtimeMs;
    const list = JSON.parse(fs.readFileSync(file, 'utf8')) as ManifestEntry[];
    if (list.length !== names.length || list.some((m, i) => m.name !== names[i])) return null;
    for (const m of list) {
      const module = fs.statSync(path.join(path.dirname(file), `${m.name}.js`));
      if (module.mtimeMs > built || module.size !== m.size) return null;
    }
    return list;
  } catch {
    return null;
  }
}

/** Placeholder commands that list a manifest in the help (they are never run). */
export function manifestCommands(list: readonly ManifestEntry[]): Command[] {
  return list.map((m) => new Command(m.name).description(m.description));
}

/** Writes the manifest from the real commands, then the help cache beside it (run by `npm run build`). */
export async function writeManifest(file = MANIFEST): Promise<ManifestEntry[]> {
  const app: App = {
    context: () => Promise.reject(new Error('the manifest builder runs no command')),
  };
  const program = new Command('statsig-hack');
  const help = program.createHelp();
  const list = (await loadCommands(COMMANDS, undefined)).map((make) => {
    const cmd = make(app);
    const size = fs.statSync(path.join(path.dirname(file), `${cmd.name()}.js`)).size;
    return { name: cmd.name(), term: help.subcommandTerm(cmd), description: help.subcommandDescription(cmd), size };
  });
  fs.writeFileSync(file, `${JSON.stringify(list, null, 2)}\n`);
  // Then the help texts the binary prints without loading the CLI (help-cache.ts), from the CLI itself.
  const { writeHelpCache } = await import('./help-cache.js');
  await writeHelpCache(list.map((m) => m.name), path.join(path.dirname(file), 'help.json'));
  return list;
}
