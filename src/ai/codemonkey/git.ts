/**
 * Git helpers for codemonkey. Every git process is started with `execFile` and an argument
 * array (never a shell string), with settings that stop git from starting anything else:
 * hooks are pointed at /dev/null, fsmonitor, pagers, commit signing, external diff drivers
 * and automatic gc are off. Every process codemonkey starts is recorded in a `ProcessAudit`
 * so a run can show (and tests can assert) exactly what ran.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { UserError } from '../../core/errors.js';

export interface ProcessRecord {
  file: string;
  args: string[];
}

/** The list of every process a run started (git and the check command). */
export class ProcessAudit {
  readonly records: ProcessRecord[] = [];
  record(file: string, args: string[]): void {
    this.records.push({ file, args: [...args] });
  }
  /** Non-git commands as display strings with how often each ran. */
  commands(): { command: string; count: number }[] {
    const counts = new Map<string, number>();
    for (const r of this.records) {
      if (r.file === 'git') continue;
      const key = [r.file, ...r.args].map(quoteArg).join(' ');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([command, count]) => ({ command, count }));
  }
  gitCalls(): number {
    return this.records.filter((r) => r.file === 'git').length;
  }
}

export function quoteArg(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `-c` settings on every git call: nothing but git itself may run. */
const SAFE_CONFIG = [
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'core.fsmonitor=false',
  '-c', 'core.pager=cat',
  '-c', 'commit.gpgSign=false',
  '-c', 'tag.gpgSign=false',
  '-c', 'gc.auto=0',
  '-c', 'maintenance.auto=false',
  '-c', 'advice.detachedHead=false',
];

export class GitError extends Error {
  constructor(
    message: string,
    readonly args: string[],
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

export interface GitOptions {
  /** Resolve with null instead of throwing when git exits non-zero. */
  allowFail?: boolean;
}

/** A git runner bound to a directory, an environment and an audit log. */
export class Git {
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly cwd: string,
    env: NodeJS.ProcessEnv,
    readonly audit: ProcessAudit = new ProcessAudit(),
  ) {
    this.env = { ...env, GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', PAGER: 'cat', LC_ALL: 'C', GIT_EDITOR: 'true' };
    // A user's GIT_DIR / GIT_WORK_TREE would point git somewhere else than `cwd`.
    delete this.env.GIT_DIR;
    delete this.env.GIT_WORK_TREE;
    delete this.env.GIT_INDEX_FILE;
    delete this.env.GIT_EXTERNAL_DIFF;
  }

  at(cwd: string): Git {
    return new Git(cwd, this.env, this.audit);
  }

  /** Runs git; resolves with the exit code and output whatever the exit code. */
  exec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const full = [...SAFE_CONFIG, ...args];
    this.audit.record('git', args);
    return new Promise((resolve, reject) => {
      execFile('git', full, { cwd: this.cwd, env: this.env, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', windowsHide: true }, (error, stdout, stderr) => {
        if (!error) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new UserError('git is not installed (or not on PATH)', { hint: 'install git and run again', code: 'GIT_MISSING' }));
          return;
        }
        if (typeof error.code === 'number') {
          resolve({ code: error.code, stdout, stderr });
          return;
        }
        reject(error instanceof Error ? error : new Error('git could not be started'));
      });
    });
  }

  run(args: string[], options: GitOptions & { allowFail: true }): Promise<string | null>;
  run(args: string[], options?: GitOptions): Promise<string>;
  async run(args: string[], options: GitOptions = {}): Promise<string | null> {
    const r = await this.exec(args);
    if (r.code === 0) return r.stdout;
    if (options.allowFail) return null;
    // git's own "fatal:"/"error:" lines say what went wrong; its advice after them does not.
    const lines = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const key = lines.filter((l) => /^(fatal|error):/.test(l));
    const detail = (key.length > 0 ? key.slice(0, 2) : lines.slice(-3)).join(' ');
    throw new GitError(`git ${args.slice(0, 2).join(' ')} failed${detail ? `: ${detail}` : ''}`, args, r.stderr, r.code);
  }

  /** The top-level directory of the repository containing `cwd`. */
  async root(): Promise<string> {
    const out = await this.run(['rev-parse', '--show-toplevel'], { allowFail: true });
    if (out === null || out.trim() === '') {
      throw new UserError(`not inside a git repository: ${this.cwd}`, {
        hint: 'run codemonkey inside a git repository (or `git init` and commit first): it works on a branch and commits every green change',
        code: 'NOT_A_GIT_REPO',
      });
    }
    return path.resolve(out.trim());
  }

  async head(): Promise<string | null> {
    const out = await this.run(['rev-parse', '--verify', '-q', 'HEAD^{commit}'], { allowFail: true });
    return out === null ? null : out.trim();
  }

  /** The branch HEAD is on, or null when detached. */
  async currentBranch(): Promise<string | null> {
    const out = await this.run(['symbolic-ref', '-q', '--short', 'HEAD'], { allowFail: true });
    return out === null ? null : out.trim();
  }

  async branchCommit(name: string): Promise<string | null> {
    const out = await this.run(['rev-parse', '--verify', '-q', `refs/heads/${name}^{commit}`], { allowFail: true });
    return out === null ? null : out.trim();
  }

  async validBranchName(name: string): Promise<boolean> {
    return (await this.run(['check-ref-format', '--branch', name], { allowFail: true })) !== null;
  }

  /** Paths with uncommitted changes (staged, unstaged or untracked; ignored files excluded). */
  async dirtyFiles(): Promise<string[]> {
    const out = await this.run(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']);
    const files: string[] = [];
    for (const entry of out.split('\0')) {
      if (entry.length < 4) continue;
      files.push(entry.slice(3));
    }
    return files;
  }

  async trackedFiles(): Promise<string[]> {
    const out = await this.run(['ls-files', '-z', '--cached']);
    return [...new Set(out.split('\0').filter((f) => f.length > 0))];
  }

  /** Whether git ignores a path (.gitignore, info/exclude, core.excludesFile): `git add` would refuse it. */
  async isIgnored(rel: string): Promise<boolean> {
    const r = await this.exec(['check-ignore', '-q', '--no-index', '--', rel]);
    return r.code === 0;
  }

  /** Fails unless git knows who commits (user.name and user.email). */
  async hasIdentity(): Promise<boolean> {
    return (await this.run(['var', 'GIT_COMMITTER_IDENT'], { allowFail: true })) !== null;
  }

  async createBranch(name: string): Promise<void> {
    await this.run(['checkout', '-q', '-b', name]);
  }

  async checkout(ref: string): Promise<void> {
    await this.run(['checkout', '-q', ref]);
  }

  async deleteBranch(name: string): Promise<void> {
    await this.run(['branch', '-q', '-D', name]);
  }

  /** Commits exactly `paths` (their work-tree content), nothing else that may be staged. Returns the new commit. */
  async commitPaths(paths: string[], message: string): Promise<string> {
    await this.run(['add', '--', ...paths]);
    await this.run(['commit', '-q', '--no-verify', '--no-edit', '-m', message, '--only', '--', ...paths]);
    const head = await this.head();
    if (!head) throw new Error('internal: no HEAD after commit');
    return head;
  }

  async resetHard(commit: string): Promise<void> {
    await this.run(['reset', '-q', '--hard', commit]);
  }

  async forceBranch(name: string, commit: string): Promise<void> {
    await this.run(['branch', '-q', '-f', name, commit]);
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return (await this.run(['merge-base', '--is-ancestor', ancestor, descendant], { allowFail: true })) !== null;
  }

  async commitCount(from: string, to: string): Promise<number> {
    const out = await this.run(['rev-list', '--count', `${from}..${to}`]);
    return Number(out.trim());
  }

  /** Absolute path of a file inside the git dir (`info/exclude`), worktree-aware. */
  async gitPath(name: string): Promise<string> {
    const out = await this.run(['rev-parse', '--git-path', name]);
    return path.resolve(this.cwd, out.trim());
  }

  /**
   * A unified diff between two files on disk (either may be /dev/null), with its headers
   * rewritten to `a/<rel>` and `b/<rel>`. Returns '' when they are equal.
   */
  async diffFiles(before: string, after: string, rel: string): Promise<string> {
    const r = await this.exec(['diff', '--no-index', '--no-color', '--no-ext-diff', '--no-textconv', '--', before, after]);
    if (r.code === 0) return '';
    if (r.code !== 1) throw new GitError(`git diff failed: ${r.stderr.trim()}`, ['diff'], r.stderr, r.code);
    return rewriteDiffHeaders(r.stdout, rel, before === '/dev/null', after === '/dev/null');
  }
}

export function rewriteDiffHeaders(diff: string, rel: string, created: boolean, deleted: boolean): string {
  const lines = diff.split('\n');
  const out: string[] = [];
  let inHeader = true;
  for (const line of lines) {
    if (inHeader) {
      if (line.startsWith('diff --git ')) {
        out.push(`diff --git a/${rel} b/${rel}`);
        continue;
      }
      if (line.startsWith('--- ')) {
        out.push(created ? '--- /dev/null' : `--- a/${rel}`);
        continue;
      }
      if (line.startsWith('+++ ')) {
        out.push(deleted ? '+++ /dev/null' : `+++ b/${rel}`);
        inHeader = false;
        continue;
      }
      if (line.startsWith('index ') || line.startsWith('new file mode') || line.startsWith('deleted file mode') || line.startsWith('old mode') || line.startsWith('new mode')) {
        out.push(line);
        continue;
      }
    }
    out.push(line);
  }
  return out.join('\n');
}
