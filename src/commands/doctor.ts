/**
 * `statsig-hack doctor`: checks Node, the config, the project store, the browser and the
 * model endpoint, and prints a checklist with a fix per problem (or --json).
 * Exit 0 unless a required check failed (Node too old, a store that exists but cannot be
 * used). A missing store, browser or model is a warning: only some commands need them.
 */
import fs from 'node:fs';
import { Command } from '../core/commander.js';
import type { App } from '../cli.js';
import type { Config, Settings } from '../core/config.js';
import { UserError, errorMessage, isUserError } from '../core/errors.js';
import type { Redactor } from '../core/redact.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: 'node' | 'config' | 'store' | 'browser' | 'model' | 'engine';
  ok: boolean;
  status: CheckStatus;
  detail: string;
  hint: string | null;
  /** Facts found along the way (paths, versions, latency), for --json consumers. */
  info: Record<string, unknown>;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorInputs {
  nodeVersion: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  config: Config;
  configPath: string | null;
  /** An invalid config file, reported as a failed check instead of stopping doctor. */
  configError?: { message: string; hint: string | undefined } | null;
  settings: Settings;
  redactor?: Redactor;
  /** Launch the browser to read its version (default true). */
  launch?: boolean;
  /** Contact the model endpoint (default true). */
  network?: boolean;
}

const MIN_NODE_MAJOR = 20;

function check(name: DoctorCheck['name'], status: CheckStatus, detail: string, hint: string | null = null, info: Record<string, unknown> = {}): DoctorCheck {
  return { name, ok: status !== 'fail', status, detail, hint, info };
}

export function checkNode(version: string): DoctorCheck {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  if (Number.isFinite(major) && major >= MIN_NODE_MAJOR) return check('node', 'ok', `Node ${version}`, null, { version });
  return check('node', 'fail', `Node ${version} is too old; statsig-hack needs Node ${MIN_NODE_MAJOR} or newer`, `install Node ${MIN_NODE_MAJOR}+ (https://nodejs.org, or \`nvm install ${MIN_NODE_MAJOR}\`)`, { version });
}

export function checkConfig(configPath: string | null, settings: Settings, configError: { message: string; hint: string | undefined } | null = null): DoctorCheck {
  const info = { path: configPath, model: settings.model.value, model_source: settings.model.source, db_source: settings.db.source };
  if (configError) return check('config', 'fail', `${configError.message} (defaults used for the other checks)`, configError.hint ?? null, info);
  return check('config', 'ok', configPath ? `config file ${configPath}` : 'no config file found (using defaults)', null, info);
}

export async function checkStore(file: string): Promise<DoctorCheck> {
  if (!fs.existsSync(file)) {
    return check('store', 'warn', `no project store at ${file}`, 'run `statsig-hack init` (or `statsig-hack demo`) to create one, or pass --db', { path: file, exists: false });
  }
  const { Store } = await import('../store/store.js');
  const { LATEST_VERSION } = await import('../store/schema.js');
  const size = fs.statSync(file).size;
  let store;
  try {
    store = await Store.open(file, { readOnly: true });
  } catch (error) {
    const code = isUserError(error) ? error.code : 'STORE_ERROR';
    const hint = isUserError(error) ? (error.hint ?? null) : null;
    const info = { path: file, exists: true, bytes: size, code };
    if (code === 'STORE_OUTDATED') return check('store', 'warn', errorMessage(error), hint, info);
    if (code === 'STORE_LOCKED') return check('store', 'warn', errorMessage(error), hint, info);
    return check('store', 'fail', isUserError(error) ? error.message : `cannot open the project store ${file}: ${errorMessage(error).split('\n')[0] ?? ''}`, hint ?? 'pass --db with another path, or move the broken file away and run `statsig-hack init`', info);
  }
  try {
    const version = await store.version();
    const info = { path: file, exists: true, bytes: size, schema_version: version, latest_schema_version: LATEST_VERSION };
    if (version > LATEST_VERSION) {
      return check('store', 'fail', `the project store ${file} is at schema v${version}, newer than this statsig-hack knows (v${LATEST_VERSION})`, 'upgrade statsig-hack, or pass --db with another store', info);
    }
    return check('store', 'ok', `${file} (schema v${version}, ${formatBytes(size)})`, null, info);
  } finally {
    store.close();
  }
}

export async function checkBrowser(configPath: string | undefined, env: NodeJS.ProcessEnv, launch: boolean): Promise<DoctorCheck> {
  const { findBrowser, browserVersion } = await import('../web/browser.js');
  let found;
  try {
    found = await findBrowser({ configPath, env });
  } catch (error) {
    if (!isUserError(error)) throw error;
    return check('browser', 'warn', error.message, error.hint ?? null, { code: error.code });
  }
  const info: Record<string, unknown> = { path: found.path, source: found.source };
  if (!launch) return check('browser', 'ok', `${found.path} (${found.source}; not launched)`, null, info);
  try {
    const version = await browserVersion(found.path, { timeoutMs: 20_000 });
    info.version = version;
    return check('browser', 'ok', `Chromium ${version} at ${found.path} (${found.source})`, null, info);
  } catch (error) {
    return check('browser', 'warn', isUserError(error) ? error.message : `could not start ${found.path}: ${errorMessage(error)}`, isUserError(error) ? (error.hint ?? null) : null, info);
  }
}

export async function checkModel(inputs: DoctorInputs): Promise<DoctorCheck> {
  const { probeModelEndpoint, baseURLOf, modelForTask } = await import('../ai/llm.js');
  if (!inputs.settings.llmConfigured) {
    return check(
      'model',
      'warn',
      'no model configured (AI commands are unavailable)',
      'set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server (Ollama, vLLM, llama.cpp, LM Studio)',
      { configured: false },
    );
  }
  const baseURL = baseURLOf(inputs.settings);
  const model = modelForTask('default', inputs.config, inputs.settings);
  const info: Record<string, unknown> = { configured: true, base_url: baseURL, model, api_key: inputs.env.OPENAI_API_KEY ? 'set' : 'not set' };
  if (inputs.network === false) return check('model', 'ok', `${model} at ${baseURL} (not contacted)`, null, info);
  const probe = await probeModelEndpoint({ env: inputs.env, config: inputs.config, settings: inputs.settings, cwd: inputs.cwd, redactor: inputs.redactor, timeoutMs: 15_000 });
  info.latency_ms = probe.latencyMs;
  info.method = probe.method;
  if (probe.models) info.models_listed = probe.models.length;
  if (!probe.ok) return check('model', 'warn', probe.error?.message ?? 'the model endpoint failed', probe.error?.hint ?? null, { ...info, code: probe.error?.code });
  if (probe.modelListed === false) {
    const some = (probe.models ?? []).slice(0, 8).join(', ');
    return check(
      'model',
      'warn',
      `${baseURL} answered in ${probe.latencyMs} ms but does not list the model "${model}"`,
      `set --model, STATSIG_HACK_MODEL or llm.model to one it serves${some ? `: ${some}` : ''}`,
      info,
    );
  }
  const how = probe.method === 'models' ? `lists ${probe.models?.length ?? 0} models` : '1-token completion';
  return check('model', 'ok', `${model} at ${baseURL} answered in ${probe.latencyMs} ms (${how})`, null, info);
}

export async function runDoctor(inputs: DoctorInputs): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [checkNode(inputs.nodeVersion), checkConfig(inputs.configPath, inputs.settings, inputs.configError ?? null), await checkStore(inputs.settings.db.value)];
  checks.push(await checkBrowser(inputs.config.browser?.executablePath, inputs.env, inputs.launch !== false));
  checks.push(await checkModel(inputs));
  // The warehouse engine, only when one is configured (the DuckDB store is checked above).
  const { chooseEngine } = await import('../engines/open.js');
  let choice: ReturnType<typeof chooseEngine> = null;
  try {
    choice = chooseEngine(inputs.env.STATSIG_HACK_ENGINE, inputs.config, inputs.env);
  } catch (error) {
    checks.push(check('engine', 'fail', errorMessage(error), isUserError(error) ? (error.hint ?? null) : null));
  }
  if (choice) {
    const { checkEngine } = await import('../engines/check.js');
    const r = await checkEngine(choice);
    checks.push(check('engine', r.status, r.detail, r.hint, r.info));
  }
  return { ok: checks.every((c) => c.ok), checks };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

interface DoctorOptions {
  launch: boolean;
  offline?: boolean;
}

export function doctorCommand(app: App): Command {
  return new Command('doctor')
    .description('check Node, the config, the project store, the browser, the model endpoint and the configured engine')
    .option('--no-launch', 'find the browser but do not start it')
    .option('--offline', 'do not contact the model endpoint')
    .addHelpText('after', '\nExamples:\n  $ statsig-hack doctor\n  $ statsig-hack doctor --offline --no-launch --json')
    .action(async (opts: DoctorOptions, cmd: Command) => {
      const ctx = await app.context(cmd, { tolerateConfigError: true });
      const report = await runDoctor({
        configError: ctx.configError ? { message: ctx.configError.message, hint: ctx.configError.hint } : null,
        nodeVersion: process.versions.node,
        cwd: ctx.cwd,
        env: ctx.env,
        config: ctx.config,
        configPath: ctx.configPath,
        settings: ctx.settings,
        redactor: ctx.redactor,
        launch: opts.launch,
        network: !opts.offline,
      });
      const c = ctx.out.c;
      const { fitMessage, terminalWidth } = await import('../core/text.js');
      const columns = terminalWidth(ctx.io.stdout, ctx.env);
      ctx.out.result(report, () => {
        const width = Math.max(...report.checks.map((k) => k.name.length));
        const lines: string[] = [];
        // Details and fixes wrap under their own column, so a long fix never runs past the terminal.
        const under = ' '.repeat(width + 4);
        for (const k of report.checks) {
          const mark = k.status === 'ok' ? c.green('✓') : k.status === 'warn' ? c.yellow('!') : c.red('✗');
          lines.push(fitMessage(k.detail, columns, `${mark} ${k.name.padEnd(width)}  `, under));
          if (k.hint && k.status !== 'ok') lines.push(fitMessage(ctx.out.spell(k.hint), columns, `${under}${c.dim('fix:')} `, `${under}     `));
        }
        const failed = report.checks.filter((k) => k.status === 'fail').length;
        const warned = report.checks.filter((k) => k.status === 'warn').length;
        lines.push('');
        lines.push(
          failed > 0
            ? c.red(`${failed} check${failed === 1 ? '' : 's'} failed${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}.`)
            : warned > 0
              ? `Nothing failed; ${warned} warning${warned === 1 ? '' : 's'} (the features that need them are unavailable).`
              : c.green('All checks passed.'),
        );
        return lines.join('\n');
      });
      const failed = report.checks.filter((k) => k.status === 'fail');
      if (failed.length > 0) {
        throw new UserError(`doctor: ${failed.map((k) => k.name).join(', ')} failed`, { hint: 'fix the lines marked ✗ above', code: 'DOCTOR_FAILED' });
      }
    });
}
