import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@agents/core';
import { McpManager, type ServerTool, type ToolCallContext, type ToolResult } from '@agents/tools';
import {
  MCP_SERVER_SCRIPT,
  isRunning,
  mcpStdioServer,
  startMcpHttpServer,
  withServiceEnv,
  type RunningMcpServer,
} from '@agents/testing/mcp-server';
import { freePort } from '@agents/testing/process';

/*
 * The manager against the real test server (test/support/mcp-server.mjs), over stdio as a child and
 * over HTTP in a child process: connecting, listing, calls and their results, failures, recovery.
 */

const SECRET = 'a-test-secret-that-is-at-least-32-chars';

let dir: string;
const managers: McpManager[] = [];
const httpServers: RunningMcpServer[] = [];

let debug: jest.SpyInstance;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agents-mcp-'));
});
beforeEach(() => {
  // The manager logs connects and failures; the tests read them where they matter.
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.onApplicationShutdown()));
  await Promise.all(httpServers.splice(0).map((server) => server.close()));
  jest.restoreAllMocks();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
/** A manager for these `mcpServers` (as the config file has them), closed after the test. */
function managerFor(mcpServers: Record<string, unknown>, env: Record<string, string> = {}): McpManager {
  const path = join(dir, `config-${++files}.json`);
  writeFileSync(path, JSON.stringify({ mcpServers }));
  const manager = new McpManager(loadConfig({ JWT_SECRET: SECRET, DATA_DIR: dir, CONFIG_PATH: path, ...env }));
  managers.push(manager);
  return manager;
}

async function httpServer(options: { mode?: 'http' | 'sse'; port?: number } = {}): Promise<RunningMcpServer> {
  const server = await startMcpHttpServer(options);
  httpServers.push(server);
  return server;
}

function context(signal: AbortSignal = new AbortController().signal): ToolCallContext {
  return { signal, userId: 'u1', agentId: 'a1', conversationId: null, messageId: 'm1', toolCallId: 'c1' };
}

async function toolOf(manager: McpManager, server: string, id: string): Promise<ServerTool> {
  const { tools } = await manager.toolsOf(server);
  const tool = tools.find((t) => t.id === id);
  if (!tool) throw new Error(`${id} is not listed; got ${tools.map((t) => t.id).join(', ')}`);
  return tool;
}

async function call(manager: McpManager, server: string, id: string, args: Record<string, unknown> = {}) {
  return (await toolOf(manager, server, id)).call(args, context());
}

const stateOf = (manager: McpManager, server: string) => manager.states().find((s) => s.name === server);

/** The pids of this process' children that run the test server over stdio. */
function stdioChildren(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(MCP_SERVER_SCRIPT) && line.includes('--stdio'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}

describe('McpManager over stdio', () => {
  it('connects only when a server is first asked for, and shares one connection among concurrent callers', async () => {
    const manager = managerFor({ local: mcpStdioServer(), other: mcpStdioServer() });
    expect(manager.serverNames()).toEqual(['local', 'other']);
    expect(manager.states()).toEqual([
      { name: 'local', transport: 'stdio', state: 'idle', toolCount: 0 },
      { name: 'other', transport: 'stdio', state: 'idle', toolCount: 0 },
    ]);
    expect(stdioChildren()).toEqual([]);

    const listings = await Promise.all([1, 2, 3, 4].map(() => manager.toolsOf('local')));

    expect(listings.every((l) => l.available && l.tools.length > 0)).toBe(true);
    expect(stdioChildren()).toHaveLength(1); // one child for four callers; `other` was never asked for
    const local = stateOf(manager, 'local')!;
    expect(local).toMatchObject({ state: 'connected', toolCount: listings[0].tools.length });
    expect(Date.parse(local.connectedAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(local.lastError).toBeUndefined();
    expect(stateOf(manager, 'other')).toMatchObject({ state: 'idle', toolCount: 0 });
  });

  it('lists the tools as ServerTools named <tool>_mcp_<server>, with their schemas', async () => {
    const manager = managerFor({ local: mcpStdioServer({ callTimeoutMs: 7_000 }) });

    const { tools, available } = await manager.toolsOf('local');

    expect(available).toBe(true);
    const add = tools.find((t) => t.id === 'add_mcp_local')!;
    expect(add).toMatchObject({
      name: 'Add',
      description: 'Adds two numbers',
      source: 'mcp',
      server: 'local',
      timeoutMs: 7_000,
    });
    expect(add.parameters).toEqual({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    });
    expect(tools.find((t) => t.id === 'fail_mcp_local')?.parameters).toEqual({ type: 'object', properties: {} });
    // A name that is no function name gets a safe id, and still calls the tool by its own name.
    const dotted = tools.find((t) => t.name === 'notes.search')!;
    expect(dotted.id).toMatch(/^notes_search_[0-9a-f]{8}_mcp_local$/);
    for (const tool of tools) expect(tool.id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(await dotted.call({ q: 'mcp' }, context())).toEqual({ output: 'no notes match mcp' });
  });

  it('calls tools and maps text, images, resources, structured content and error results', async () => {
    const manager = managerFor({ local: mcpStdioServer() });

    expect(await call(manager, 'local', 'add_mcp_local', { a: 2, b: 3 })).toEqual({ output: '5' });
    expect(await call(manager, 'local', 'echo_mcp_local', { text: 'héllo' })).toEqual({ output: 'héllo' });
    expect(await call(manager, 'local', 'image_mcp_local')).toEqual({
      output: '[image: image/png]',
      attachments: [{ type: 'image', mimeType: 'image/png', data: expect.stringMatching(/^iVBORw0KGgo/) }],
    });
    const resource = await call(manager, 'local', 'resource_mcp_local');
    expect(resource.isError).toBeUndefined();
    expect(resource.output).toContain('Here are the notes.');
    expect(resource.output).toContain('Ship the MCP client.');
    expect(resource.attachments).toEqual([
      {
        type: 'resource',
        uri: 'file:///notes/today.md',
        mimeType: 'text/markdown',
        text: '# Today\nShip the MCP client.',
      },
      { type: 'resource', uri: 'file:///notes/archive.md', name: 'archive.md', mimeType: 'text/markdown' },
    ]);
    expect(await call(manager, 'local', 'lookup_mcp_local', { id: 'T-7' })).toEqual({
      output: '{"id":"T-7","status":"open"}',
    });
    expect(await call(manager, 'local', 'fail_mcp_local')).toEqual({
      isError: true,
      output: 'this tool always fails',
    });
    // Bad arguments are the server's refusal, as an error result; the connection stays up.
    const bad = await call(manager, 'local', 'add_mcp_local', { a: 'two' });
    expect(bad.isError).toBe(true);
    expect(bad.output).toMatch(/Invalid arguments/);
    expect(stateOf(manager, 'local')?.state).toBe('connected');
  });

  it('fails a call that outlives callTimeoutMs as an error result, in about that time, and stays connected', async () => {
    const manager = managerFor({ local: mcpStdioServer({ callTimeoutMs: 300 }) });
    const slow = await toolOf(manager, 'local', 'slow_mcp_local');

    const { value, ms } = await timed(slow.call({ ms: 5_000 }, context()));

    expect(value).toEqual({
      isError: true,
      output: 'Error: tool "slow" of MCP server "local" did not answer within 300 ms',
    });
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1_500);
    expect(await slow.call({ ms: 10 }, context())).toEqual({ output: 'done after 10 ms' });
    expect(await call(manager, 'local', 'add_mcp_local', { a: 1, b: 1 })).toEqual({ output: '2' });
  });

  it('uses TOOL_TIMEOUT_MS for a server without callTimeoutMs', async () => {
    const manager = managerFor({ local: mcpStdioServer() }, { TOOL_TIMEOUT_MS: '400' });
    const slow = await toolOf(manager, 'local', 'slow_mcp_local');
    expect(slow.timeoutMs).toBeUndefined();

    const { value, ms } = await timed(slow.call({ ms: 5_000 }, context()));

    expect(value.output).toBe('Error: tool "slow" of MCP server "local" did not answer within 400 ms');
    expect(ms).toBeLessThan(1_500);
  });

  it('answers an aborted call within a second', async () => {
    const manager = managerFor({ local: mcpStdioServer() });
    const slow = await toolOf(manager, 'local', 'slow_mcp_local');
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('the user stopped the generation')), 100);

    const { value, ms } = await timed(slow.call({ ms: 10_000 }, context(abort.signal)));

    expect(value).toEqual({
      isError: true,
      output: 'Error: the call to tool "slow" of MCP server "local" was stopped: the user stopped the generation',
    });
    expect(ms).toBeLessThan(1_000);
    expect(await call(manager, 'local', 'add_mcp_local', { a: 1, b: 2 })).toEqual({ output: '3' });
  });

  it('keeps the child away from the service secrets: it gets PATH, HOME and its configured env only', async () => {
    const secrets = {
      JWT_SECRET: 'jwt-secret-that-must-not-leak-0123456789',
      OPENAI_API_KEY: 'sk-must-not-leak',
      DATABASE_URL: 'postgres://agents:pw@db/agents',
    };
    const read = await withServiceEnv(secrets, async () => {
      const manager = managerFor({ local: mcpStdioServer({ env: { GREETING: 'hello' } }) });
      const env = await toolOf(manager, 'local', 'env_mcp_local');
      return async (name: string) => (await env.call({ name }, context())).output;
    });

    for (const name of Object.keys(secrets)) expect(await read(name)).toBe('(unset)');
    expect(await read('GREETING')).toBe('hello');
    expect(await read('PATH')).not.toBe('(unset)');
    expect(await read('HOME')).not.toBe('(unset)');
  });

  it('re-lists the tools when the server says its list changed', async () => {
    const manager = managerFor({ local: mcpStdioServer() });
    expect(await call(manager, 'local', 'grow_mcp_local', { name: 'sprout' })).toEqual({
      output: 'registered sprout',
    });

    await eventually(async () => (await manager.toolsOf('local')).tools.some((t) => t.id === 'sprout_mcp_local'));

    expect(await call(manager, 'local', 'sprout_mcp_local')).toEqual({ output: 'sprout here' });
    expect(stateOf(manager, 'local')?.toolCount).toBe((await manager.toolsOf('local')).tools.length);
  });

  it('reports a command that cannot start as unavailable, with the reason, and never throws', async () => {
    const manager = managerFor({ broken: { command: join(dir, 'no-such-mcp-server') } });

    expect(await manager.toolsOf('broken')).toEqual({ tools: [], available: false });
    expect(stateOf(manager, 'broken')).toMatchObject({ state: 'failed', toolCount: 0 });
    expect(stateOf(manager, 'broken')?.lastError).toMatch(/ENOENT/);
    expect(await manager.toolsOf('unknown')).toEqual({ tools: [], available: false });
  });

  it("quotes a crashing child's stderr in lastError", async () => {
    const crash = "process.stderr.write('boom: MCP_TOKEN is missing\\n'); process.exit(3)";
    const manager = managerFor({ crashing: { command: process.execPath, args: ['-e', crash] } });

    expect((await manager.toolsOf('crashing')).available).toBe(false);

    expect(stateOf(manager, 'crashing')?.lastError).toContain('boom: MCP_TOKEN is missing');
    expect(debug).toHaveBeenCalledWith('MCP server "crashing" stderr: boom: MCP_TOKEN is missing');
  });

  it('gives up a connect after connectTimeoutMs', async () => {
    const mute = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], connectTimeoutMs: 300 };
    const manager = managerFor({ mute });

    const { value, ms } = await timed(manager.toolsOf('mute'));

    expect(value).toEqual({ tools: [], available: false });
    expect(ms).toBeLessThan(1_000);
    expect(stateOf(manager, 'mute')?.lastError).toMatch(/no answer within 300 ms/);
  });

  it('reconnects after the child dies, at the next use', async () => {
    const manager = managerFor({ local: mcpStdioServer() });
    const pid = Number((await call(manager, 'local', 'pid_mcp_local')).output);
    process.kill(pid, 'SIGKILL');
    await eventually(() => stateOf(manager, 'local')?.state === 'failed');

    // Within the backoff the dead server is not tried again: the call fails at once.
    const early = await call(manager, 'local', 'pid_mcp_local');
    expect(early.isError).toBe(true);
    expect(early.output).toMatch(/^Error: MCP server "local" is unavailable: /);
    // What the child printed on stderr is for admins (lastError), not for the model and the user.
    expect(stateOf(manager, 'local')?.lastError).toContain('test server starting on stdio');
    expect(early.output).not.toContain('test server starting');

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const again = await call(manager, 'local', 'pid_mcp_local');
    expect(again.isError).toBeUndefined();
    expect(Number(again.output)).not.toBe(pid);
    expect(stateOf(manager, 'local')?.state).toBe('connected');
  });

  it('kills the stdio child on shutdown; later calls are error results', async () => {
    const manager = managerFor({ local: mcpStdioServer() });
    const pidTool = await toolOf(manager, 'local', 'pid_mcp_local');
    const pid = Number((await pidTool.call({}, context())).output);
    expect(isRunning(pid)).toBe(true);

    await manager.onApplicationShutdown();

    expect(isRunning(pid)).toBe(false);
    expect(stdioChildren()).toEqual([]);
    const after = await pidTool.call({}, context());
    expect(after).toEqual({
      isError: true,
      output: 'Error: MCP server "local" is unavailable: the service is shutting down',
    });
    expect((await manager.toolsOf('local')).available).toBe(false);
  });
});

describe('McpManager over HTTP', () => {
  it('connects to a streamable HTTP server, sending the configured headers', async () => {
    const server = await httpServer();
    const manager = managerFor({ remote: { url: server.url, headers: { 'X-Api-Key': 'k-123' } } });
    expect(stateOf(manager, 'remote')).toMatchObject({ transport: 'streamable-http', state: 'idle' });

    const { tools, available } = await manager.toolsOf('remote');

    expect(available).toBe(true);
    expect(tools.map((t) => t.id)).toEqual(expect.arrayContaining(['add_mcp_remote', 'slow_mcp_remote']));
    expect(await call(manager, 'remote', 'add_mcp_remote', { a: 20, b: 22 })).toEqual({ output: '42' });
    expect(await call(manager, 'remote', 'header_mcp_remote', { name: 'X-Api-Key' })).toEqual({ output: 'k-123' });
    expect(await call(manager, 'remote', 'image_mcp_remote')).toMatchObject({
      attachments: [{ type: 'image', mimeType: 'image/png' }],
    });
    expect(stateOf(manager, 'remote')).toMatchObject({ state: 'connected', toolCount: tools.length });
  });

  it('falls back to the legacy SSE transport when the URL only speaks it', async () => {
    const server = await httpServer({ mode: 'sse' });
    const manager = managerFor({ legacy: { url: server.url, headers: { 'X-Api-Key': 'k-sse' } } });

    expect((await manager.toolsOf('legacy')).available).toBe(true);

    expect(await call(manager, 'legacy', 'add_mcp_legacy', { a: 1, b: 2 })).toEqual({ output: '3' });
    expect(await call(manager, 'legacy', 'header_mcp_legacy', { name: 'X-Api-Key' })).toEqual({ output: 'k-sse' });
    expect(stateOf(manager, 'legacy')).toMatchObject({ transport: 'streamable-http', state: 'connected' });
  });

  it('speaks SSE directly to a server configured as `sse`', async () => {
    const server = await httpServer({ mode: 'sse' });
    const manager = managerFor({ legacy: { type: 'sse', url: server.url } });

    expect(await call(manager, 'legacy', 'echo_mcp_legacy', { text: 'over sse' })).toEqual({ output: 'over sse' });
    expect(stateOf(manager, 'legacy')).toMatchObject({ transport: 'sse', state: 'connected' });
  });

  it('answers an aborted call within a second over HTTP too', async () => {
    const server = await httpServer();
    const manager = managerFor({ remote: { url: server.url } });
    const slow = await toolOf(manager, 'remote', 'slow_mcp_remote');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);

    const { value, ms } = await timed(slow.call({ ms: 10_000 }, context(abort.signal)));

    expect(value.isError).toBe(true);
    expect(value.output).toMatch(/^Error: the call to tool "slow" of MCP server "remote" was stopped/);
    expect(ms).toBeLessThan(1_000);
  });

  it('answers an aborted call within a second while the connection is being opened again', async () => {
    const first = await httpServer();
    const manager = managerFor({ remote: { url: first.url, connectTimeoutMs: 20_000 } });
    const add = await toolOf(manager, 'remote', 'add_mcp_remote');
    await first.close();
    expect((await add.call({ a: 1, b: 1 }, context())).isError).toBe(true);
    // Where the server was, something now takes connections and never answers.
    const sockets = new Set<Socket>();
    const mute = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => mute.listen(first.port, '127.0.0.1', resolve));
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const abort = new AbortController();
      setTimeout(() => abort.abort(new Error('stopped by the user')), 100);

      const { value, ms } = await timed(add.call({ a: 1, b: 1 }, context(abort.signal)));

      expect(value).toEqual({
        isError: true,
        output: 'Error: the call to tool "add" of MCP server "remote" was stopped: stopped by the user',
      });
      expect(ms).toBeLessThan(1_000);
      expect(stateOf(manager, 'remote')?.state).toBe('connecting');
    } finally {
      await manager.onApplicationShutdown();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('reports a closed port as unavailable, then connects once the server is up (after the backoff)', async () => {
    const port = await freePort();
    const manager = managerFor({ remote: { url: `http://127.0.0.1:${port}/mcp` } });

    expect(await manager.toolsOf('remote')).toEqual({ tools: [], available: false });
    expect(stateOf(manager, 'remote')).toMatchObject({ state: 'failed', toolCount: 0 });
    expect(stateOf(manager, 'remote')?.lastError).toMatch(/fetch failed/);

    await httpServer({ port });
    // The failure was just now: the server is not tried again yet.
    expect((await manager.toolsOf('remote')).available).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const back = await manager.toolsOf('remote');
    expect(back.available).toBe(true);
    expect(await call(manager, 'remote', 'add_mcp_remote', { a: 2, b: 2 })).toEqual({ output: '4' });
    expect(stateOf(manager, 'remote')).toMatchObject({ state: 'connected' });
    expect(stateOf(manager, 'remote')?.lastError).toBeUndefined();
  });

  it('keeps the listed tools of a server that went down: their calls are error results until it is back', async () => {
    const first = await httpServer();
    const manager = managerFor({ remote: { url: first.url } });
    const add = await toolOf(manager, 'remote', 'add_mcp_remote');
    const listed = (await manager.toolsOf('remote')).tools.length;
    await first.close();

    const down: ToolResult = await add.call({ a: 1, b: 1 }, context());

    expect(down.isError).toBe(true);
    expect(down.output).toMatch(/^Error: MCP server "remote" is unavailable: /);
    expect(stateOf(manager, 'remote')?.state).toBe('failed');
    const cached = await manager.toolsOf('remote');
    expect(cached.available).toBe(false);
    expect(cached.tools).toHaveLength(listed);
    await expect(add.call({ a: 1, b: 1 }, context())).resolves.toMatchObject({ isError: true });

    await httpServer({ port: first.port });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await add.call({ a: 1, b: 1 }, context())).toEqual({ output: '2' });
    expect(stateOf(manager, 'remote')?.state).toBe('connected');
  });
});
