import { afterEach } from 'vitest';
import { startOpenAIServer, type OpenAIServer, type Script } from './openai-server.js';

/** For a test file: `server(script)` starts a scripted model server that is closed after each test. */
export function scriptedServers(): (script: Script) => Promise<OpenAIServer> {
  const servers: OpenAIServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  return async (script) => {
    const s = await startOpenAIServer(script);
    servers.push(s);
    return s;
  };
}
