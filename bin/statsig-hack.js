#!/usr/bin/env node
// Tiny shim: check the Node version, answer what needs no CLI (cached help, an unchanged store's
// status), else hand over to the built CLI.
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  process.stderr.write(`statsig-hack needs Node.js 20 or newer (found ${process.versions.node}).\n  hint: install Node 20+ (https://nodejs.org) and run again.\n`);
  process.exit(1);
}
// A closed pipe (`statsig-hack --help | head`) is a normal end, not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error && error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const argv = process.argv.slice(2);
// `--help`, `<command> --help` and `--version` off a terminal come from the texts the build wrote
// (dist/commands/help.json, see src/commands/help-cache.ts), without loading the CLI.
const { cachedAnswer } = await import('../dist/commands/help-cache.js');
const answer = cachedAnswer(argv, process.stdout, process.env);
/** `status` without the CLI (src/commands/status-fast.ts): the kept summary or one query through the bindings; null: the CLI runs. */
async function fastStatus() {
  if (!argv.includes('status')) return null;
  let cwd;
  try {
    cwd = process.cwd();
  } catch {
    return null; // the folder is gone: the CLI says so
  }
  try {
    const fast = await import('../dist/commands/status-fast.js');
    return await fast.fastStatus(argv, { stdout: process.stdout, stderr: process.stderr, cwd, env: process.env });
  } catch {
    return null; // it prints only once it has everything: the CLI runs and words any problem
  }
}
const fastCode = answer === null ? await fastStatus() : 0;
if (answer !== null) {
  process.stdout.write(answer);
} else if (fastCode !== null) {
  process.exitCode = fastCode;
} else {
  // Node 22.1+ keeps compiled code between runs (a faster start); Node 20 has no such cache.
  const { default: nodeModule } = await import('node:module');
  nodeModule.enableCompileCache?.();
  const { run } = await import('../dist/cli.js');
  process.exitCode = await run(argv);
}
