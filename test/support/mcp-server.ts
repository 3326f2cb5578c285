import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The test MCP server (plain JavaScript, run by node as it is). */
export const MCP_SERVER_SCRIPT = join(__dirname, 'mcp-server.mjs');

/** A `mcpServers` entry that runs the test server as a stdio child. */
export function mcpStdioServer(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'stdio', command: process.execPath, args: [MCP_SERVER_SCRIPT, '--stdio'], ...extra };
}

export interface RunningMcpServer {
  /** The MCP endpoint: `/mcp` for streamable HTTP, `/sse` for the legacy transport. */
  url: string;
  port: number;
  pid: number;
  /** Stops the server and waits for its process to exit. */
  close: () => Promise<void>;
}

/**
 * Starts the test server over HTTP in a child process: `http` speaks streamable HTTP, `sse` only the
 * legacy HTTP+SSE transport. `port` 0 (the default) picks a free port; a given port lets a test
 * bring a server up where a client already expects it.
 */
export function startMcpHttpServer(options: { mode?: 'http' | 'sse'; port?: number } = {}): Promise<RunningMcpServer> {
  const mode = options.mode ?? 'http';
  const child = spawn(process.execPath, [MCP_SERVER_SCRIPT, `--${mode}`, String(options.port ?? 0)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise<RunningMcpServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      void close();
      reject(new Error(`the test MCP server did not start within 10 s: ${output}`));
    }, 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the test MCP server exited (${code}) before listening: ${output}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      const port = Number(match[1]);
      const path = mode === 'http' ? '/mcp' : '/sse';
      resolve({ url: `http://127.0.0.1:${port}${path}`, port, pid: child.pid ?? 0, close });
    });
  });
}

/** Whether a process with this id still runs. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `work` with `vars` set in this process' environment (the service's own, where its secrets
 * live), restoring it afterwards: a spawned MCP server must not see them.
 */
export async function withServiceEnv<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
