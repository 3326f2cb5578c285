import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, Pool, type PoolConfig } from 'pg';
import { dataSourceOptions, type EmbeddedEndpoint } from '@agents/core';

/** Starts the embedded server in a child process (see support/embedded-server.ts); resolves its endpoint. */
async function startEmbeddedServer(dataDir: string): Promise<{ child: ChildProcess; endpoint: EmbeddedEndpoint }> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, 'support/embedded-server.ts'), dataDir],
    { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const endpoint = await new Promise<EmbeddedEndpoint>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as EmbeddedEndpoint));
    child.once('exit', (code) => reject(new Error(`the embedded server exited with ${code} before listening`)));
  });
  return { child, endpoint };
}

/**
 * The embedded server has ONE PGlite session for every connection. Connections come and go (the
 * pool closes idle ones, a broken one is replaced), so each new connection must find a fresh
 * session and must be let in even while the server is still tearing the old one down.
 */
describe('the embedded server, as the pool uses it', () => {
  let dataDir: string;
  let server: ChildProcess;
  let endpoint: EmbeddedEndpoint;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'agents-embedded-sessions-'));
    ({ child: server, endpoint } = await startEmbeddedServer(dataDir));
  });
  afterAll(async () => {
    if (server?.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** What the application's pool is built with in the embedded mode. */
  function poolOptions(overrides: PoolConfig = {}): PoolConfig {
    const options = dataSourceOptions({ databaseUrl: undefined, dbPoolSize: 1 }, endpoint);
    return {
      ...(options.extra as PoolConfig),
      host: endpoint.host,
      port: endpoint.port,
      user: 'postgres',
      database: 'postgres',
      ...overrides,
    };
  }

  const prepared = { name: 'q_same_name', text: 'SELECT $1::int AS n', values: [7] };

  it('never idles its one connection out by default', () => {
    expect(poolOptions()).toMatchObject({ max: 1, idleTimeoutMillis: 0 });
  });

  it('gives a connection that replaces an idle-closed one a fresh session', async () => {
    const pool = new Pool(poolOptions({ idleTimeoutMillis: 100 }));
    try {
      expect((await pool.query(prepared)).rows).toEqual([{ n: 7 }]);
      await pool.query(`SET application_name = 'changed by the first connection'`);
      await new Promise((resolve) => setTimeout(resolve, 400)); // the pool closes the connection
      expect(pool.totalCount).toBe(0);
      // Without a reset, PGlite still holds the statement: 42P05 "already exists".
      expect((await pool.query(prepared)).rows).toEqual([{ n: 7 }]);
      expect((await pool.query('SHOW application_name')).rows[0]).not.toEqual({
        application_name: 'changed by the first connection',
      });
    } finally {
      await pool.end();
    }
  });

  it('lets a connection in right after the previous one broke, and keeps serving later ones', async () => {
    const connect = async (): Promise<Client> => {
      const client = new Client({ host: endpoint.host, port: endpoint.port, user: 'postgres', database: 'postgres' });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    };
    const broken = await connect();
    await broken.query('SELECT 1');
    // The socket dies without a goodbye (a crashed query, a killed client) and a replacement
    // connects at once, before the server has processed the close.
    (broken as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const replacement = await connect();
    expect((await replacement.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
    await replacement.end();
    const later = await connect();
    expect((await later.query('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
    await later.end();
  });
});
