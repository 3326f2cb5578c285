/*
 * A real MCP server for the tests, built with the official SDK and written in plain JavaScript so
 * that `node test/support/mcp-server.mjs --stdio` runs it as a child without compiling anything.
 *
 *   --stdio          speaks MCP on stdin/stdout (StdioServerTransport)
 *   --http <port>    streamable HTTP at /mcp (session mode); prints `LISTENING <port>` once bound
 *   --sse <port>     the legacy HTTP+SSE transport only (GET /sse, POST /messages), for the
 *                    client's fallback; prints `LISTENING <port>` once bound
 *
 * Port 0 picks a free port. Diagnostics go to stderr (stdout is the protocol in stdio mode).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import * as z from 'zod/v4';

/** A 1×1 PNG, base64. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const text = (value) => ({ content: [{ type: 'text', text: String(value) }] });

/** Resolves after `ms`, or rejects as soon as `signal` (the client's cancellation) fires. */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('cancelled'));
    });
  });
}

/** One server with every test tool; HTTP modes build one per session. */
function buildServer() {
  const server = new McpServer({ name: 'agents-test-server', version: '1.0.0' });

  server.registerTool(
    'add',
    {
      title: 'Add',
      description: 'Adds two numbers',
      inputSchema: { a: z.number(), b: z.number() },
    },
    ({ a, b }) => text(a + b),
  );
  server.registerTool('echo', { description: 'Says the text back', inputSchema: { text: z.string() } }, (args) =>
    text(args.text),
  );
  server.registerTool('fail', { description: 'Always fails' }, () => {
    throw new Error('this tool always fails');
  });
  server.registerTool(
    'slow',
    { description: 'Answers after ms milliseconds', inputSchema: { ms: z.number().int().min(0) } },
    async ({ ms }, extra) => {
      await sleep(ms, extra.signal);
      return text(`done after ${ms} ms`);
    },
  );
  server.registerTool('image', { description: 'Returns a 1x1 PNG' }, () => ({
    content: [{ type: 'image', data: PNG, mimeType: 'image/png' }],
  }));
  server.registerTool('resource', { description: 'Returns an embedded text resource and a link' }, () => ({
    content: [
      { type: 'text', text: 'Here are the notes.' },
      {
        type: 'resource',
        resource: { uri: 'file:///notes/today.md', mimeType: 'text/markdown', text: '# Today\nShip the MCP client.' },
      },
      { type: 'resource_link', uri: 'file:///notes/archive.md', name: 'archive.md', mimeType: 'text/markdown' },
    ],
  }));
  server.registerTool(
    'lookup',
    {
      description: 'Finds a ticket by id (structured content only)',
      inputSchema: { id: z.string() },
      outputSchema: { id: z.string(), status: z.string() },
    },
    ({ id }) => ({ content: [], structuredContent: { id, status: 'open' } }),
  );
  server.registerTool(
    'env',
    { description: "Reads one of this process' environment variables", inputSchema: { name: z.string() } },
    ({ name }) => text(process.env[name] ?? '(unset)'),
  );
  server.registerTool(
    'header',
    { description: 'Reads a header of the HTTP request that carried the call', inputSchema: { name: z.string() } },
    ({ name }, extra) => text(extra.requestInfo?.headers?.[name.toLowerCase()] ?? '(none)'),
  );
  server.registerTool('pid', { description: "This process' id" }, () => text(process.pid));
  server.registerTool(
    'notes.search',
    { description: 'A dotted name, which is not a valid function name', inputSchema: { q: z.string() } },
    ({ q }) => text(`no notes match ${q}`),
  );
  server.registerTool(
    'grow',
    {
      description: 'Registers one more tool (the server then tells clients its list changed)',
      inputSchema: { name: z.string() },
    },
    ({ name }) => {
      server.registerTool(name, { description: `Grown at runtime: ${name}` }, () => text(`${name} here`));
      return text(`registered ${name}`);
    },
  );
  return server;
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString('utf8');
  return body ? JSON.parse(body) : undefined;
}

function notFound(res) {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
}

/** Streamable HTTP at /mcp, one transport and server per session (as the SDK's session example). */
function streamableHttpHandler() {
  const sessions = new Map();
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/mcp') return notFound(res);
    const sessionId = req.headers['mcp-session-id'];
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (!transport) {
      if (req.method !== 'POST' || sessionId !== undefined) return notFound(res);
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.set(id, transport),
      });
      transport.onclose = () => sessions.delete(transport.sessionId);
      await buildServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  };
}

/** The legacy transport: GET /sse opens the stream, POST /messages?sessionId=… carries requests. */
function sseHandler() {
  const sessions = new Map();
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res);
      sessions.set(transport.sessionId, transport);
      transport.onclose = () => sessions.delete(transport.sessionId);
      await buildServer().connect(transport);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      const transport = sessions.get(url.searchParams.get('sessionId'));
      if (!transport) return notFound(res);
      await transport.handlePostMessage(req, res, await readJson(req));
      return;
    }
    notFound(res);
  };
}

function listen(handler, port) {
  const server = createServer((req, res) => {
    handler(req, res).catch((error) => {
      process.stderr.write(`request failed: ${error?.stack ?? error}\n`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${server.address().port}\n`);
  });
  const stop = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const [mode, port] = process.argv.slice(2);
if (mode === '--stdio') {
  process.stderr.write('test server starting on stdio\n');
  await buildServer().connect(new StdioServerTransport());
} else if (mode === '--http') {
  listen(streamableHttpHandler(), Number(port ?? 0));
} else if (mode === '--sse') {
  listen(sseHandler(), Number(port ?? 0));
} else {
  process.stderr.write('usage: mcp-server.mjs --stdio | --http <port> | --sse <port>\n');
  process.exit(2);
}
