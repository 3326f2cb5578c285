import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ConfigError, loadConfig } from '@agents/core';

const SECRET = 'a-test-secret-that-is-at-least-32-chars';
const PG_URL = 'postgres://agents@db.internal:5432/agents';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agents-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An environment that never writes outside the test's tmp dir, plus `overrides`. */
function env(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { DATA_DIR: dir, ...overrides };
}

function configError(vars: NodeJS.ProcessEnv): ConfigError {
  let error: unknown;
  try {
    loadConfig(vars);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

function writeConfigFile(content: unknown): string {
  const path = join(dir, 'agents.config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('loadConfig', () => {
  it('applies the defaults to an empty environment', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(config).toMatchObject({
      port: 3080,
      host: '0.0.0.0',
      mode: 'embedded',
      databaseUrl: undefined,
      redisUrl: undefined,
      dbPoolSize: 10,
      dbIdleTimeoutMs: 0,
      jwtExpiresIn: '24h',
      allowRegistration: true,
      corsOrigins: [],
      logLevel: 'info',
      authRateLimit: 30,
      customEndpoints: [],
    });
    expect(config.dataDir).toBe(resolve('data'));
  });

  it('resolves a relative DATA_DIR to an absolute path', () => {
    const config = loadConfig(env({ DATA_DIR: relative(process.cwd(), dir), JWT_SECRET: SECRET }));
    expect(config.dataDir).toBe(dir);
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig(env({ PORT: '', LOG_LEVEL: '', JWT_SECRET: SECRET }));
    expect(config.port).toBe(3080);
    expect(config.logLevel).toBe('info');
  });

  it('reads typed values from strings', () => {
    const config = loadConfig(
      env({ PORT: '8080', DB_POOL_SIZE: '25', AUTH_RATE_LIMIT: '5', LOG_LEVEL: 'debug', JWT_SECRET: SECRET }),
    );
    expect(config).toMatchObject({ port: 8080, dbPoolSize: 25, authRateLimit: 5, logLevel: 'debug' });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['DB_POOL_SIZE', '0'],
    ['DB_IDLE_TIMEOUT_MS', '-1'],
    ['DB_IDLE_TIMEOUT_MS', 'soon'],
    ['LOG_LEVEL', 'loud'],
    ['ALLOW_REGISTRATION', 'maybe'],
    ['JWT_EXPIRES_IN', 'forever'],
    ['REDIS_URL', 'http://cache:6379'],
  ])('rejects %s=%p with a message naming the variable', (name, value) => {
    const error = configError(env({ JWT_SECRET: SECRET, [name]: value }));
    expect(error.message).toContain(`${name}:`);
  });

  it('rejects a non-postgres DATABASE_URL, naming DATABASE_URL', () => {
    const error = configError(env({ DATABASE_URL: 'mysql://root@localhost/agents', JWT_SECRET: SECRET }));
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).not.toContain('JWT_SECRET');
  });

  it('requires JWT_SECRET when DATABASE_URL is set', () => {
    const error = configError(env({ DATABASE_URL: PG_URL }));
    expect(error.message).toContain('JWT_SECRET');
  });

  it('keeps the embedded connection open forever and closes idle PostgreSQL ones after 30 s, unless DB_IDLE_TIMEOUT_MS says otherwise', () => {
    expect(loadConfig(env({ JWT_SECRET: SECRET })).dbIdleTimeoutMs).toBe(0);
    expect(loadConfig(env({ DATABASE_URL: PG_URL, JWT_SECRET: SECRET })).dbIdleTimeoutMs).toBe(30_000);
    expect(loadConfig(env({ JWT_SECRET: SECRET, DB_IDLE_TIMEOUT_MS: '1500' })).dbIdleTimeoutMs).toBe(1500);
    expect(loadConfig(env({ DATABASE_URL: PG_URL, JWT_SECRET: SECRET, DB_IDLE_TIMEOUT_MS: '0' })).dbIdleTimeoutMs).toBe(
      0,
    );
  });

  it('switches to the distributed mode when DATABASE_URL and JWT_SECRET are set', () => {
    const config = loadConfig(env({ DATABASE_URL: PG_URL, JWT_SECRET: SECRET, REDIS_URL: 'redis://cache:6379' }));
    expect(config).toMatchObject({
      mode: 'distributed',
      databaseUrl: PG_URL,
      jwtSecret: SECRET,
      redisUrl: 'redis://cache:6379',
    });
  });

  it('accepts postgresql:// as well as postgres://', () => {
    const url = 'postgresql://agents@db:5432/agents';
    expect(loadConfig(env({ DATABASE_URL: url, JWT_SECRET: SECRET })).databaseUrl).toBe(url);
  });

  it('rejects a JWT_SECRET shorter than 32 characters', () => {
    const error = configError(env({ DATABASE_URL: PG_URL, JWT_SECRET: 'x'.repeat(31) }));
    expect(error.message).toContain('JWT_SECRET');
    expect(loadConfig(env({ DATABASE_URL: PG_URL, JWT_SECRET: 'x'.repeat(32) })).jwtSecret).toBe('x'.repeat(32));
  });

  it('parses CORS_ORIGINS as a trimmed comma-separated list', () => {
    const config = loadConfig(
      env({ JWT_SECRET: SECRET, CORS_ORIGINS: ' https://app.example.com, http://localhost:3000 ,,' }),
    );
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(loadConfig(env({ JWT_SECRET: SECRET, CORS_ORIGINS: '*' })).corsOrigins).toEqual(['*']);
  });

  it.each(['https://app.example.com/path', 'ftp://files.example.com', 'app.example.com'])(
    'rejects the CORS origin %p, naming CORS_ORIGINS',
    (origin) => {
      const error = configError(env({ JWT_SECRET: SECRET, CORS_ORIGINS: `https://ok.example.com,${origin}` }));
      expect(error.message).toContain('CORS_ORIGINS');
    },
  );

  it.each([
    ['false', false],
    ['0', false],
    ['true', true],
    ['1', true],
  ])('reads ALLOW_REGISTRATION=%p as %p', (value, expected) => {
    expect(loadConfig(env({ JWT_SECRET: SECRET, ALLOW_REGISTRATION: value })).allowRegistration).toBe(expected);
  });

  describe('embedded JWT secret', () => {
    it('generates a secret into DATA_DIR once and reuses it on the next start', () => {
      const dataDir = join(dir, 'nested', 'data');
      const first = loadConfig({ DATA_DIR: dataDir });
      const file = join(dataDir, 'jwt-secret');
      expect(first.mode).toBe('embedded');
      expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
      expect(readFileSync(file, 'utf8')).toBe(first.jwtSecret);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const second = loadConfig({ DATA_DIR: dataDir });
      expect(second.jwtSecret).toBe(first.jwtSecret);
    });

    it('generates a different secret for a different DATA_DIR', () => {
      const a = loadConfig({ DATA_DIR: join(dir, 'a') });
      const b = loadConfig({ DATA_DIR: join(dir, 'b') });
      expect(a.jwtSecret).not.toBe(b.jwtSecret);
    });

    it('prefers an explicit JWT_SECRET and writes no file', () => {
      const config = loadConfig(env({ JWT_SECRET: SECRET }));
      expect(config.jwtSecret).toBe(SECRET);
      expect(() => statSync(join(dir, 'jwt-secret'))).toThrow();
    });
  });

  describe('CONFIG_PATH', () => {
    it('loads custom endpoints from the JSON file', () => {
      const path = writeConfigFile({
        customEndpoints: [
          { name: 'ollama', baseURL: 'http://localhost:11434/v1', models: ['llama3', 'mistral'] },
          { name: 'OpenRouter', baseURL: 'https://openrouter.ai/api/v1', apiKey: 'sk-or-1' },
        ],
      });
      const config = loadConfig(env({ JWT_SECRET: SECRET, CONFIG_PATH: path }));
      expect(config.customEndpoints).toHaveLength(2);
      expect(config.customEndpoints[0]).toMatchObject({
        name: 'ollama',
        baseURL: 'http://localhost:11434/v1',
        models: ['llama3', 'mistral'],
      });
      expect(config.customEndpoints[1]).toMatchObject({ name: 'OpenRouter', apiKey: 'sk-or-1', models: [] });
    });

    it('rejects an invalid baseURL, naming the endpoint field', () => {
      const path = writeConfigFile({ customEndpoints: [{ name: 'ollama', baseURL: 'not a url', models: [] }] });
      const error = configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: path }));
      expect(error.message).toContain('customEndpoints.0.baseURL');
      expect(error.message).toContain(path);
    });

    it('rejects an endpoint name with spaces, naming it', () => {
      const path = writeConfigFile({ customEndpoints: [{ name: 'my llm', baseURL: 'http://x:1', models: [] }] });
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: path })).message).toContain('customEndpoints.0.name');
    });

    it('loads a web search backend and MCP servers keyed by name, inferring their transport', () => {
      const path = writeConfigFile({
        webSearch: { provider: 'searxng', url: 'http://searxng:8080' },
        mcpServers: {
          files: { command: 'npx', args: ['-y', 'some-mcp'], env: { ROOT: '/srv' } },
          tickets: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer t' } },
          legacy: { type: 'sse', url: 'http://old:9000/sse', callTimeoutMs: 5000 },
        },
      });
      const config = loadConfig(env({ JWT_SECRET: SECRET, CONFIG_PATH: path }));
      expect(config.webSearch).toMatchObject({ provider: 'searxng', url: 'http://searxng:8080', maxResults: 5 });
      expect(config.mcpServers.map((s) => [s.name, s.type])).toEqual([
        ['files', 'stdio'],
        ['tickets', 'streamable-http'],
        ['legacy', 'sse'],
      ]);
      expect(config.mcpServers[0]).toMatchObject({ command: 'npx', env: { ROOT: '/srv' }, connectTimeoutMs: 10_000 });
      expect(config.mcpServers[2]?.callTimeoutMs).toBe(5000);
      expect(config.tools).toEqual({
        timeoutMs: 30_000,
        outputMaxChars: 20_000,
        concurrency: 4,
        generationTimeoutMs: 600_000,
      });
    });

    it('rejects an MCP server without a command or url, or with a name holding "_mcp_", naming it', () => {
      const noUrl = writeConfigFile({ mcpServers: { a: { type: 'streamable-http' } } });
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: noUrl })).message).toContain('mcpServers.0.url');
      const badName = writeConfigFile({ mcpServers: { x_mcp_y: { command: 'node' } } });
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: badName })).message).toContain('mcpServers.0.name');
      const leading = writeConfigFile({ mcpServers: { mcp_x: { command: 'node' } } });
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: leading })).message).toContain('mcpServers.0.name');
      const reserved = writeConfigFile({ mcpServers: { agents: { command: 'node' } } });
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: reserved })).message).toContain('reserved');
      const badType = writeConfigFile({ webSearch: { provider: 'google' } });
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: badType })).message).toContain('webSearch.provider');
    });

    it('reads prices per provider and model, and budgets with their reservation size', () => {
      const path = writeConfigFile({
        prices: {
          openai: { 'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 }, 'gpt-4*': { input: 1, output: 2 } },
        },
        budgets: { users: { daily: { tokens: 100_000 } }, apiKeys: { monthly: { cost: 5 } } },
      });
      const config = loadConfig(env({ JWT_SECRET: SECRET, CONFIG_PATH: path }));
      expect(config.prices.map((p) => [p.provider, p.model, p.input, p.output])).toEqual([
        ['openai', 'gpt-4o', 2.5, 10],
        ['openai', 'gpt-4*', 1, 2],
      ]);
      expect(config.budgets.users?.daily?.tokens).toBe(100_000);
      expect(config.budgets.apiKeys?.monthly?.cost).toBe(5);
      expect(config.budgets.reserveTokens).toBe(4000);
      const none = loadConfig(env({ JWT_SECRET: SECRET }));
      expect(none.prices).toEqual([]);
      expect(none.budgets.users).toBeUndefined();
      expect(none.budgets.reserveTokens).toBe(4000);
    });

    it('rejects a negative price, a model pattern with * inside, and a budget of 0 tokens, naming each', () => {
      const negative = writeConfigFile({ prices: { openai: { 'gpt-4o': { input: -1, output: 1 } } } });
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: negative })).message).toContain('prices.0.input');
      const star = writeConfigFile({ prices: { openai: { 'gpt-*-mini': { input: 1, output: 1 } } } });
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: star })).message).toContain('prices.0.model');
      const flat = writeConfigFile({ prices: { openai: 3 } });
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: flat })).message).toContain('prices.0');
      const zero = writeConfigFile({ budgets: { users: { daily: { tokens: 0 } } } });
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: zero })).message).toContain(
        'budgets.users.daily.tokens',
      );
    });

    it('rejects a file that is not JSON, or does not exist, naming CONFIG_PATH', () => {
      const path = writeConfigFile('{ not json');
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: path })).message).toContain('CONFIG_PATH');
      const missing = join(dir, 'missing.json');
      expect(configError(env({ JWT_SECRET: SECRET, CONFIG_PATH: missing })).message).toContain('CONFIG_PATH');
    });
  });

  it('reads STREAM_RETENTION_SECONDS (default 10 minutes) and rejects values out of range', () => {
    expect(loadConfig(env({ JWT_SECRET: SECRET })).streamRetentionSeconds).toBe(600);
    expect(loadConfig(env({ JWT_SECRET: SECRET, STREAM_RETENTION_SECONDS: '30' })).streamRetentionSeconds).toBe(30);
    for (const bad of ['0', '86401', 'ten']) {
      expect(configError(env({ JWT_SECRET: SECRET, STREAM_RETENTION_SECONDS: bad })).message).toContain(
        'STREAM_RETENTION_SECONDS',
      );
    }
  });

  it('reads MAX_CONCURRENT_GENERATIONS (default 2) and rejects values out of range', () => {
    expect(loadConfig(env({ JWT_SECRET: SECRET })).maxConcurrentGenerations).toBe(2);
    expect(loadConfig(env({ JWT_SECRET: SECRET, MAX_CONCURRENT_GENERATIONS: '5' })).maxConcurrentGenerations).toBe(5);
    for (const bad of ['0', '101', 'many']) {
      expect(configError(env({ JWT_SECRET: SECRET, MAX_CONCURRENT_GENERATIONS: bad })).message).toContain(
        'MAX_CONCURRENT_GENERATIONS',
      );
    }
  });

  describe('TRUST_PROXY', () => {
    it('trusts no proxy by default', () => {
      expect(loadConfig(env({ JWT_SECRET: SECRET })).trustProxy).toBe(false);
    });

    it.each([
      ['0', false],
      ['false', false],
      ['1', 1],
      ['2', 2],
      ['loopback', ['loopback']],
      [
        ' 10.0.0.0/8, 192.168.1.7 ,uniquelocal,fd00::/8, ::1',
        ['10.0.0.0/8', '192.168.1.7', 'uniquelocal', 'fd00::/8', '::1'],
      ],
    ])('reads TRUST_PROXY=%p as %p', (value, expected) => {
      expect(loadConfig(env({ JWT_SECRET: SECRET, TRUST_PROXY: value })).trustProxy).toEqual(expected);
    });

    it.each(['true', '11', '-1', '1.5', 'everyone', '10.0.0.0/33', '::1/129', '300.1.1.1', '10.0.0.1/8/1', ','])(
      'rejects TRUST_PROXY=%p with a message naming it and the accepted forms',
      (value) => {
        const message = configError(env({ JWT_SECRET: SECRET, TRUST_PROXY: value })).message;
        expect(message).toContain('TRUST_PROXY: TRUST_PROXY must be a hop count');
      },
    );
  });

  it('reads AUTH_RATE_LIMIT_KEY_PREFIX (default agents:auth-rate) and rejects odd characters', () => {
    expect(loadConfig(env({ JWT_SECRET: SECRET })).authRateLimitKeyPrefix).toBe('agents:auth-rate');
    expect(
      loadConfig(env({ JWT_SECRET: SECRET, AUTH_RATE_LIMIT_KEY_PREFIX: 'blue:auth' })).authRateLimitKeyPrefix,
    ).toBe('blue:auth');
    for (const bad of ['has space', 'a*b', 'x'.repeat(129)]) {
      expect(configError(env({ JWT_SECRET: SECRET, AUTH_RATE_LIMIT_KEY_PREFIX: bad })).message).toContain(
        'AUTH_RATE_LIMIT_KEY_PREFIX:',
      );
    }
  });

  it('reads PASSWORD_MIN_LENGTH (default 12, 8..128) and rejects values out of range', () => {
    expect(loadConfig(env({ JWT_SECRET: SECRET })).passwordMinLength).toBe(12);
    for (const ok of [8, 16, 128]) {
      expect(loadConfig(env({ JWT_SECRET: SECRET, PASSWORD_MIN_LENGTH: String(ok) })).passwordMinLength).toBe(ok);
    }
    for (const bad of ['7', '129', 'long', '12.5']) {
      expect(configError(env({ JWT_SECRET: SECRET, PASSWORD_MIN_LENGTH: bad })).message).toContain(
        'PASSWORD_MIN_LENGTH:',
      );
    }
  });

  it('reads CONTEXT_BUDGET_CHARS (default 400,000) and rejects values out of range', () => {
    expect(loadConfig(env({ JWT_SECRET: SECRET })).contextBudgetChars).toBe(400_000);
    expect(loadConfig(env({ JWT_SECRET: SECRET, CONTEXT_BUDGET_CHARS: '5000' })).contextBudgetChars).toBe(5000);
    for (const bad of ['999', '50000001', '4k']) {
      expect(configError(env({ JWT_SECRET: SECRET, CONTEXT_BUDGET_CHARS: bad })).message).toContain(
        'CONTEXT_BUDGET_CHARS:',
      );
    }
  });

  it('reads MAX_SSE_CONNECTIONS_PER_USER (default 20) and rejects values out of range', () => {
    expect(loadConfig(env({ JWT_SECRET: SECRET })).maxSseConnectionsPerUser).toBe(20);
    expect(loadConfig(env({ JWT_SECRET: SECRET, MAX_SSE_CONNECTIONS_PER_USER: '3' })).maxSseConnectionsPerUser).toBe(3);
    for (const bad of ['0', '10001', 'lots']) {
      expect(configError(env({ JWT_SECRET: SECRET, MAX_SSE_CONNECTIONS_PER_USER: bad })).message).toContain(
        'MAX_SSE_CONNECTIONS_PER_USER:',
      );
    }
  });

  it('reads MAX_AGENTS_PER_USER and MAX_VERSIONS_PER_AGENT (default 1000 each) and rejects values out of range', () => {
    expect(loadConfig(env({ JWT_SECRET: SECRET }))).toMatchObject({
      maxAgentsPerUser: 1000,
      maxVersionsPerAgent: 1000,
    });
    expect(
      loadConfig(env({ JWT_SECRET: SECRET, MAX_AGENTS_PER_USER: '5', MAX_VERSIONS_PER_AGENT: '7' })),
    ).toMatchObject({ maxAgentsPerUser: 5, maxVersionsPerAgent: 7 });
    for (const name of ['MAX_AGENTS_PER_USER', 'MAX_VERSIONS_PER_AGENT']) {
      for (const bad of ['0', '1000001', 'some']) {
        expect(configError(env({ JWT_SECRET: SECRET, [name]: bad })).message).toContain(`${name}:`);
      }
    }
  });

  it('reads EXPORT_MAX_MESSAGES (default 5000) and rejects values out of range', () => {
    expect(loadConfig(env({ JWT_SECRET: SECRET })).exportMaxMessages).toBe(5000);
    expect(loadConfig(env({ JWT_SECRET: SECRET, EXPORT_MAX_MESSAGES: '40' })).exportMaxMessages).toBe(40);
    for (const bad of ['0', '1000001', 'many']) {
      expect(configError(env({ JWT_SECRET: SECRET, EXPORT_MAX_MESSAGES: bad })).message).toContain(
        'EXPORT_MAX_MESSAGES:',
      );
    }
  });

  it('generates titles by default within 10 s; TITLE_GENERATION=false turns it off; bad values name the variable', () => {
    expect(loadConfig(env({ JWT_SECRET: SECRET })).titles).toEqual({ enabled: true, timeoutMs: 10_000 });
    expect(loadConfig(env({ JWT_SECRET: SECRET, TITLE_GENERATION: 'false' })).titles.enabled).toBe(false);
    expect(loadConfig(env({ JWT_SECRET: SECRET, TITLE_GENERATION: '0' })).titles.enabled).toBe(false);
    expect(loadConfig(env({ JWT_SECRET: SECRET, TITLE_TIMEOUT_MS: '2500' })).titles.timeoutMs).toBe(2500);
    expect(configError(env({ JWT_SECRET: SECRET, TITLE_GENERATION: 'sometimes' })).message).toContain(
      'TITLE_GENERATION:',
    );
    for (const bad of ['999', '120001', 'soon']) {
      expect(configError(env({ JWT_SECRET: SECRET, TITLE_TIMEOUT_MS: bad })).message).toContain('TITLE_TIMEOUT_MS:');
    }
  });

  describe('the openai provider', () => {
    it('leaves the key and base URL unset by default and waits 60 s for a first token', () => {
      const config = loadConfig(env({ JWT_SECRET: SECRET }));
      expect(config.openai).toEqual({ apiKey: undefined, baseURL: undefined });
      expect(config.firstTokenTimeoutMs).toBe(60_000);
    });

    it('reads OPENAI_API_KEY, OPENAI_BASE_URL and PROVIDER_FIRST_TOKEN_TIMEOUT_MS', () => {
      const config = loadConfig(
        env({
          JWT_SECRET: SECRET,
          OPENAI_API_KEY: 'sk-test-1',
          OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1',
          PROVIDER_FIRST_TOKEN_TIMEOUT_MS: '1500',
        }),
      );
      expect(config.openai).toEqual({ apiKey: 'sk-test-1', baseURL: 'http://127.0.0.1:8080/v1' });
      expect(config.firstTokenTimeoutMs).toBe(1500);
    });

    it.each([
      ['OPENAI_BASE_URL', 'not a url'],
      ['OPENAI_BASE_URL', 'ftp://files.example.com/v1'],
      ['OPENAI_BASE_URL', 'api.openai.com/v1'],
      ['PROVIDER_FIRST_TOKEN_TIMEOUT_MS', '999'],
      ['PROVIDER_FIRST_TOKEN_TIMEOUT_MS', '600001'],
      ['PROVIDER_FIRST_TOKEN_TIMEOUT_MS', 'soon'],
      ['OPENAI_API_KEY', 'k'.repeat(4097)],
    ])('rejects %s=%p with a message naming the variable', (name, value) => {
      expect(configError(env({ JWT_SECRET: SECRET, [name]: value })).message).toContain(`${name}:`);
    });

    it('accepts the bounds of PROVIDER_FIRST_TOKEN_TIMEOUT_MS', () => {
      for (const ms of [1000, 600_000]) {
        expect(
          loadConfig(env({ JWT_SECRET: SECRET, PROVIDER_FIRST_TOKEN_TIMEOUT_MS: String(ms) })).firstTokenTimeoutMs,
        ).toBe(ms);
      }
    });
  });
});
