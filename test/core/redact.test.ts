import { describe, expect, it } from 'vitest';
import { Output } from '../../src/core/output.js';
import { Redactor, redactUrlCredentials } from '../../src/core/redact.js';
import { UserError } from '../../src/core/errors.js';
import { jobRecord } from '../../src/observe/jobs/record.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

class Sink {
  text = '';
  write(s: string) {
    this.text += s;
    return true;
  }
}

describe('URL credentials are redacted', () => {
  it('replaces user:password and a lone token before @ with ***', () => {
    expect(redactUrlCredentials('at http://user:pw@127.0.0.1:9/v1 (x)')).toBe('at http://***@127.0.0.1:9/v1 (x)');
    expect(redactUrlCredentials('https://tok3n@api.example.com')).toBe('https://***@api.example.com');
    expect(redactUrlCredentials('postgres://a:b@db:5432/x and s3://k:s@bucket/p')).toBe('postgres://***@db:5432/x and s3://***@bucket/p');
    // An unescaped @ in the password is still part of the userinfo.
    expect(redactUrlCredentials('http://u:p@ss@host/')).toBe('http://***@host/');
    // The SDK's own shortened form of the URL.
    expect(redactUrlCredentials('credentials: http://user:pw@…/chat/completions')).toBe('credentials: http://***@…/chat/completions');
  });

  it('leaves URLs without userinfo, and @ in paths or e-mail addresses, alone', () => {
    for (const s of ['http://127.0.0.1:9/v1', 'https://host/a@b', 'https://host/?u=a@b', 'mail me at a@b.com', 'http://***@host']) {
      expect(redactUrlCredentials(s)).toBe(s);
    }
  });

  it('applies in Redactor.redact, next to the key patterns', () => {
    expect(new Redactor(['topsecret']).redact('http://user:topsecret@h/ sk-abcdefghijkl')).toBe('http://***@h/ ***');
  });

  it('applies to the error line and the --debug stack', () => {
    const stdout = new Sink();
    const stderr = new Sink();
    const out = new Output(stdout, stderr, { json: false, quiet: false, debug: true, color: false }, new Redactor());
    const error = new UserError('cannot reach the model endpoint at http://user:pw@127.0.0.1:9/v1', { cause: new TypeError('bad URL http://user:pw@127.0.0.1:9/v1/chat') });
    out.failure(error);
    expect(stderr.text).toContain('http://***@127.0.0.1:9/v1');
    expect(stderr.text).toContain('caused by');
    expect(stderr.text).not.toContain('user:pw');
  });

  it('applies to the SQL and error of a job record', () => {
    const rec = jobRecord(
      { sql: "SELECT * FROM read_csv('https://user:pw@host/a.csv')", startedAt: 0, durationMs: 1, ok: false, error: 'HTTP error on https://user:pw@host/a.csv', profile: null },
      { command: 'query', experiment: null, metric: null },
      'run1',
    );
    expect(rec.sql).toBe("SELECT * FROM read_csv('https://***@host/a.csv')");
    expect(rec.error).toBe('HTTP error on https://***@host/a.csv');
  });

  it('never prints a base URL with credentials (doctor --json, seed)', async () => {
    const dir = tmpDir();
    const env = baseEnv({ OPENAI_API_KEY: 'sk-test-abcdefgh', OPENAI_BASE_URL: 'http://user:pw@127.0.0.1:9/v1' });
    const doctor = await runCli(['doctor', '--json'], { cwd: dir, env });
    expect(doctor.stdout + doctor.stderr).not.toContain('user:pw');
    const seed = await runCli(['seed', 'a bank', '--debug'], { cwd: dir, env });
    expect(seed.code).not.toBe(0);
    expect(seed.stderr).toContain('http://***@127.0.0.1:9');
    expect(seed.stdout + seed.stderr).not.toContain('user:pw');
  }, 60_000);
});
