import { Command, Argument } from '../core/commander.js';
import type { App } from '../core/context.js';
import type { Shell } from '../core/completion.js';

const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

export function completionCommand(app: App): Command {
  return new Command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell').choices([...SHELLS]))
    .addHelpText(
      'after',
      `
Install (once, then open a new shell):
  bash  $ statsig-hack completion bash > ~/.local/share/bash-completion/completions/statsig-hack
  zsh   $ statsig-hack completion zsh > "\${fpath[1]}/_statsig-hack"
  fish  $ statsig-hack completion fish > ~/.config/fish/completions/statsig-hack.fish
Or for the current shell only: source <(statsig-hack completion bash)`,
    )
    .action(async (shell: Shell, _opts: unknown, cmd: Command) => {
      const ctx = await app.context(cmd);
      // Every command, loaded for their options: completion is generated once, not on every key press.
      const { completionScript, describeProgram } = await import('../core/completion.js');
      const { COMMANDS, loadCommands } = await import('./index.js');
      const commands = (await loadCommands(COMMANDS, undefined)).map((make) => make(app));
      const script = completionScript(shell, describeProgram(cmd.parent ?? cmd, commands));
      ctx.out.result({ shell, script }, () => script.trimEnd());
    });
}
