/** TTY and CI detection. Interactive UI only when both stdin and stdout are TTYs and CI is unset. */
export interface StreamInfo {
  isTTY?: boolean;
}

export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

export function isInteractive(stdin: StreamInfo, stdout: StreamInfo, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stdin.isTTY) && Boolean(stdout.isTTY) && !isCI(env);
}

/** Colour follows TTY, NO_COLOR, FORCE_COLOR and --no-color (in that order of strength: flag first). */
export function useColor(stream: StreamInfo, env: NodeJS.ProcessEnv, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return Boolean(stream.isTTY);
}
