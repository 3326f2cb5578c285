/**
 * Benchmark of a tool step (issue: the tool loop): how much time the run loop adds between the
 * model asking for a tool and the tool's result reaching the model, for the calculator and for an
 * MCP tool over stdio and over streamable HTTP, at 1 and 50 concurrent generations — against
 * calling the same tool directly, the same number of times at the same concurrency, in the same run.
 *
 * The step is measured on the stand-in provider's side: from the moment it finished writing the
 * answer that asks for the call (`finish_reason: tool_calls`) to the moment the follow-up request
 * carrying the result arrived. It includes parsing the streamed call, publishing its events,
 * the call itself, and building and sending the next request. Added = step − direct.
 *
 * The loop runs in this process (GenerationRunner on the in-memory event bus, the official openai
 * SDK against the stand-in); the tools are the real ones. Run with `npm run bench:tools`.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '@agents/core';
import { GenerationRunner } from '@agents/generation';
import { OpenAIChatProvider } from '@agents/providers';
import { InMemoryEventBus } from '@agents/streaming';
import { McpManager, ToolRegistry, type ServerTool } from '@agents/tools';
import { startFakeOpenAI, type FakeOpenAI, type FakeRequestBody } from '../test/support/fake-openai';
import { startMcpHttpServer } from '../test/support/mcp-server';
import { ms, writeResults } from './support/report';
import { type Stats, stats } from './support/stats';

const LEVELS = [1, 50] as const;
/** Steps each generation (or direct caller) takes back to back. */
const roundsAt = (concurrency: number): number => (concurrency === 1 ? 200 : 10);
const WARMUP = 20;
const RESULTS_FILE = join(__dirname, '.results', 'tools.json');

interface Case {
  label: string;
  tool: ServerTool;
  args: Record<string, unknown>;
}

interface Measured {
  tool: string;
  concurrency: number;
  direct: Stats;
  step: Stats;
  added: { p50: number; p99: number };
  errors: number;
}

/** Calls the tool directly, `concurrency` callers at a time, each `rounds` times. */
async function direct(c: Case, concurrency: number, rounds: number): Promise<number[]> {
  const latencies: number[] = [];
  const scope = { userId: 'bench', agentId: 'bench', conversationId: null, messageId: 'bench' };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < rounds; i++) {
        const start = performance.now();
        const signal = new AbortController().signal; // one per call, as the run loop gives
        const result = await c.tool.call(c.args, { ...scope, toolCallId: randomUUID(), signal });
        latencies.push(performance.now() - start);
        if (result.isError) throw new Error(`${c.label}: ${result.output}`);
      }
    }),
  );
  return latencies;
}

/** Runs `rounds` generations per lane through the loop; each asks for the tool once, then answers. */
async function throughLoop(
  c: Case,
  concurrency: number,
  rounds: number,
  fake: FakeOpenAI,
  runner: GenerationRunner,
  provider: OpenAIChatProvider,
  bus: InMemoryEventBus,
): Promise<{ steps: number[]; errors: number }> {
  const first = fake.requests.length;
  let errors = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < rounds; i++) {
        const tag = randomUUID();
        const streamId = randomUUID();
        await bus.create(streamId);
        const outcome = await runner.run(
          {
            streamId,
            responseMessageId: randomUUID(),
            request: { model: 'bench', messages: [{ role: 'user', content: tag }] },
            tools: [c.tool],
            scope: { userId: 'bench', agentId: 'bench', conversationId: null },
          },
          provider,
          new AbortController().signal,
        );
        const call = outcome.content.find((part) => part.type === 'tool_call');
        if (outcome.status !== 'completed' || !call || call.tool_call.output?.startsWith('Error:')) errors++;
      }
    }),
  );
  // Pair each asking answer with the follow-up that carries its result, by the call id.
  const requests = fake.requests.slice(first);
  const askedAt = new Map<string, number>();
  const steps: number[] = [];
  for (const r of requests) {
    const tool = r.body?.messages?.find((m) => m.role === 'tool');
    if (!tool) {
      const tag = String(r.body?.messages?.find((m) => m.role === 'user')?.content);
      if (r.finishedAt !== undefined) askedAt.set(`call_${tag}`, r.finishedAt);
    } else {
      const asked = askedAt.get(String(tool.tool_call_id));
      if (asked !== undefined) steps.push(r.receivedAtPerf - asked);
    }
  }
  return { steps, errors };
}

function script(body: FakeRequestBody, c: Case) {
  const messages = body.messages ?? [];
  if (messages.some((m) => m.role === 'tool')) return { tokens: ['ok'] };
  const tag = String(messages.find((m) => m.role === 'user')?.content);
  return { toolCalls: [{ id: `call_${tag}`, name: c.tool.id, arguments: JSON.stringify(c.args), argumentChunks: 2 }] };
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'agents-bench-tools-'));
  const http = await startMcpHttpServer({ mode: 'http' });
  const configPath = join(dir, 'agents.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      mcpServers: {
        local: { command: process.execPath, args: [join(__dirname, '../test/support/mcp-server.mjs'), '--stdio'] },
        remote: { url: http.url },
      },
    }),
  );
  const config = loadConfig({ JWT_SECRET: 'x'.repeat(40), DATA_DIR: dir, CONFIG_PATH: configPath });
  const mcp = new McpManager(config);
  const registry = new ToolRegistry(config, mcp);
  const [calculator] = await registry.forRun(['calculator']);
  const [stdioAdd] = await registry.forRun(['add_mcp_local']);
  const [httpAdd] = await registry.forRun(['add_mcp_remote']);
  if (!calculator || !stdioAdd || !httpAdd) throw new Error('a tool of the bench is missing');
  const cases: Case[] = [
    { label: 'calculator', tool: calculator, args: { input: '12.5% * 1840' } },
    { label: 'MCP stdio (add)', tool: stdioAdd, args: { a: 2, b: 3 } },
    { label: 'MCP HTTP (add)', tool: httpAdd, args: { a: 2, b: 3 } },
  ];

  const fake = await startFakeOpenAI();
  const provider = new OpenAIChatProvider(
    { name: 'openai', baseURL: fake.baseURL, apiKey: 'sk-bench' },
    { firstTokenTimeoutMs: 30_000 },
  );
  const bus = new InMemoryEventBus();
  const runner = new GenerationRunner(bus);
  const results: Measured[] = [];
  try {
    for (const c of cases) {
      fake.setDefault((body) => script(body, c));
      await direct(c, 1, WARMUP);
      await throughLoop(c, 1, WARMUP / 4, fake, runner, provider, bus);
      for (const concurrency of LEVELS) {
        const rounds = roundsAt(concurrency);
        const directStats = stats(await direct(c, concurrency, rounds));
        const loop = await throughLoop(c, concurrency, rounds, fake, runner, provider, bus);
        const step = stats(loop.steps);
        results.push({
          tool: c.label,
          concurrency,
          direct: directStats,
          step,
          added: { p50: step.p50 - directStats.p50, p99: step.p99 - directStats.p99 },
          errors: loop.errors,
        });
      }
    }
  } finally {
    await bus.close();
    await fake.close();
    await registry.onApplicationShutdown();
    await mcp.onApplicationShutdown();
    await http.close();
    rmSync(dir, { recursive: true, force: true });
  }

  console.log('\nTool step: model asks → result sent back (ms); direct = the same call made straight');
  console.log(
    `${'tool'.padEnd(18)}${'conc'.padStart(5)}${'direct p50'.padStart(12)}${'p99'.padStart(8)}` +
      `${'step p50'.padStart(10)}${'p99'.padStart(8)}${'added p50'.padStart(11)}${'p99'.padStart(8)}${'step/direct'.padStart(13)}${'errors'.padStart(8)}`,
  );
  for (const r of results) {
    console.log(
      `${r.tool.padEnd(18)}${String(r.concurrency).padStart(5)}${ms(r.direct.p50, 12)}${ms(r.direct.p99)}` +
        `${ms(r.step.p50, 10)}${ms(r.step.p99)}${ms(r.added.p50, 11)}${ms(r.added.p99)}` +
        `${`${(r.step.p50 / r.direct.p50).toFixed(2)}×`.padStart(13)}${String(r.errors).padStart(8)}`,
    );
  }
  writeResults(RESULTS_FILE, { results }, startedAt);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
