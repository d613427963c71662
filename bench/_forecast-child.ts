/**
 * Child process of bench/forecast.ts: runs the CLI once (from dist/ when given, else from the
 * TypeScript sources) and reports this process's peak RSS, worker threads included.
 *   node [tsx flags] bench/_forecast-child.ts <cli module path> <cli args...>
 */
import { pathToFileURL } from 'node:url';

const [cliPath, ...args] = process.argv.slice(2);
const t0 = performance.now();
const { run } = (await import(pathToFileURL(cliPath as string).href)) as { run: (argv: string[]) => Promise<number> };
const code = await run(args);
const usage = process.resourceUsage();
const cpu = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
process.stderr.write(`\nBENCH_WALL_S ${((performance.now() - t0) / 1000).toFixed(3)}\nBENCH_CPU_S ${cpu.toFixed(3)}\nBENCH_RSS_KB ${usage.maxRSS}\n`);
process.exitCode = code;
