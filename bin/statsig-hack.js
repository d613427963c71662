#!/usr/bin/env node
// Tiny shim: check the Node version, then hand over to the built CLI.
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
// Node 22.1+ keeps compiled code between runs (a faster start); older Node has no such cache.
const { default: nodeModule } = await import('node:module');
nodeModule.enableCompileCache?.();
const { run } = await import('../dist/cli.js');
process.exitCode = await run(process.argv.slice(2));
