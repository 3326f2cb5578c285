import { Transform, Type, plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  NotEquals,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MAX_TRUSTED_HOPS, parseTrustProxy, type TrustProxy } from './trust-proxy';
import { BudgetsConfig, ModelPriceConfig, toPriceList } from './usage-config';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A custom OpenAI-compatible endpoint (Ollama, vLLM, OpenRouter, LiteLLM, …) from the config file. */
export class CustomEndpointConfig {
  @IsString()
  @Matches(/^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/, { message: 'name must be 1..64 letters, digits, _ or -' })
  name!: string;

  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  baseURL!: string;

  @IsOptional()
  @IsString()
  @MaxLength(4096)
  apiKey?: string;

  /** Models this endpoint serves; empty means any model name is accepted. */
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  models: string[] = [];
}

export const WEB_SEARCH_BACKENDS = ['searxng', 'tavily', 'brave'] as const;
export type WebSearchBackend = (typeof WEB_SEARCH_BACKENDS)[number];

/** The backend of the `web_search` tool; without it the tool is not offered. */
export class WebSearchConfig {
  @IsIn(WEB_SEARCH_BACKENDS)
  provider!: WebSearchBackend;

  /** The backend's URL: SearXNG's base URL (required); Tavily's and Brave's default to their public APIs. */
  @ValidateIf((o: WebSearchConfig) => o.provider === 'searxng' || o.url !== undefined)
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'url must be an http(s) URL (required for searxng)' },
  )
  url?: string;

  /** Tavily's and Brave's key (required for them); SearXNG needs none. */
  @ValidateIf((o: WebSearchConfig) => o.provider !== 'searxng' || o.apiKey !== undefined)
  @IsString({ message: 'apiKey is required for tavily and brave' })
  @MinLength(1)
  @MaxLength(4096)
  apiKey?: string;

  /** Results given to the model per search. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  maxResults = 5;

  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(120_000)
  timeoutMs = 10_000;
}

export const MCP_TRANSPORTS = ['stdio', 'streamable-http', 'sse'] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

/**
 * One MCP server of the config file's `mcpServers` (an object keyed by the server's name, as in
 * LibreChat's and Claude Desktop's files). `type` may be left out: `command` means stdio, `url`
 * means streamable HTTP (with legacy SSE as the fallback).
 */
export class McpServerConfig {
  /** The key it had in `mcpServers`; its tools are named `<tool>_mcp_<name>`. */
  @IsString()
  // A tool id is `<tool>_mcp_<server>`, read from its last "_mcp_": the name may neither hold one
  // nor begin with "mcp_" (which would make one with the delimiter before it).
  @Matches(/^(?!mcp_)[a-zA-Z0-9](?:[a-zA-Z0-9-]|_(?!mcp_))*$/, {
    message: 'server names are letters, digits, _ and - (and may neither contain "_mcp_" nor begin with "mcp_")',
  })
  @MaxLength(32)
  @NotEquals('agents', { message: 'the server name "agents" is reserved (it labels the built-in tools)' })
  name!: string;

  @IsIn(MCP_TRANSPORTS)
  type!: McpTransport;

  @ValidateIf((o: McpServerConfig) => o.type === 'stdio' || o.command !== undefined)
  @IsString({ message: 'command is required for a stdio server' })
  @MinLength(1)
  @MaxLength(4096)
  command?: string;

  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  args: string[] = [];

  /** Extra environment of a stdio server; it inherits only PATH and HOME besides (never the service's secrets). */
  @ValidateBy({
    name: 'stringRecord',
    validator: { validate: isStringRecord, defaultMessage: () => 'env must map names to strings' },
  })
  env: Record<string, string> = {};

  @IsOptional()
  @IsString()
  @MaxLength(4096)
  cwd?: string;

  @ValidateIf((o: McpServerConfig) => o.type !== 'stdio' || o.url !== undefined)
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'url must be the http(s) URL of a streamable-http or sse server' },
  )
  url?: string;

  @ValidateBy({
    name: 'stringRecord',
    validator: { validate: isStringRecord, defaultMessage: () => 'headers must map names to strings' },
  })
  headers: Record<string, string> = {};

  /** How long connecting (and listing its tools) may take. */
  @IsInt()
  @Min(100)
  @Max(300_000)
  connectTimeoutMs = 10_000;

  /** How long one tool call may take; defaults to TOOL_TIMEOUT_MS. */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  callTimeoutMs?: number;
}

function isStringRecord(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length <= 200 &&
    Object.values(value).every((v) => typeof v === 'string' && v.length <= 8192)
  );
}

/**
 * `mcpServers: {name: {...}}` becomes a list of configs that carry their name, the type inferred.
 * It reads the raw file (`obj`): class-transformer hands a transform the value after its own pass.
 */
const toMcpServerList = ({ obj }: { obj: Record<string, unknown> }): unknown => {
  const value = obj.mcpServers;
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.entries(value).map(([name, raw]) => {
    const server = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const type = server.type ?? (typeof server.command === 'string' ? 'stdio' : 'streamable-http');
    return plainToInstance(McpServerConfig, { ...server, name, type }, { exposeDefaultValues: true });
  });
};

export class ConfigFile {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CustomEndpointConfig)
  customEndpoints: CustomEndpointConfig[] = [];

  @IsOptional()
  @ValidateNested()
  @Type(() => WebSearchConfig)
  webSearch?: WebSearchConfig;

  @Transform(toMcpServerList, { toClassOnly: true })
  @IsArray({ message: 'mcpServers must be an object mapping server names to their settings' })
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  mcpServers: McpServerConfig[] = [];

  @Transform(toPriceList, { toClassOnly: true })
  @IsArray({ message: 'prices must be an object mapping provider names to {model: price} objects' })
  @ArrayMaxSize(5000)
  @ValidateNested({ each: true })
  prices: ModelPriceConfig[] = [];

  @IsOptional()
  @ValidateNested()
  @Type(() => BudgetsConfig)
  budgets?: BudgetsConfig;
}

const toBool = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

/**
 * The process environment, validated. Each property is named exactly like its variable so that a
 * validation error names the variable the operator has to fix.
 */
export class EnvironmentVariables {
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3080;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  HOST = '0.0.0.0';

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  DATA_DIR = './data';

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  /**
   * How long an unused database connection stays open before the pool closes it; 0 keeps it
   * forever. Unset: 30 s against PostgreSQL, 0 in the embedded mode (see dataSourceOptions).
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  DB_IDLE_TIMEOUT_MS?: number;

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  @MaxLength(1024)
  JWT_SECRET?: string;

  @IsOptional()
  @Matches(/^\d{1,6}[smhd]$/, { message: 'JWT_EXPIRES_IN must look like 15m, 12h or 7d' })
  JWT_EXPIRES_IN = '24h';

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  ALLOW_REGISTRATION = true;

  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(/^(\*|https?:\/\/[^/\s]+)$/, {
    each: true,
    message: 'CORS_ORIGINS must be a comma-separated list of origins like https://app.example.com, or *',
  })
  CORS_ORIGINS: string[] = [];

  @IsOptional()
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /**
   * Requests per minute per client address on the unauthenticated auth routes; with REDIS_URL set
   * the count is shared by every api instance.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_RATE_LIMIT = 30;

  /**
   * Which proxies in front of the api may name the client's address in X-Forwarded-For: a hop
   * count (`1`) or addresses, CIDR subnets and `loopback`/`linklocal`/`uniquelocal`. None by
   * default, since a trusted header lets a client pick its own rate-limit bucket.
   */
  @IsOptional()
  @ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseTrustProxy(value) !== undefined,
      defaultMessage: () =>
        `TRUST_PROXY must be a hop count 0..${MAX_TRUSTED_HOPS} (e.g. 1), or a comma-separated list of ` +
        'IP addresses, CIDR subnets (10.0.0.0/8) and loopback, linklocal or uniquelocal',
    },
  })
  TRUST_PROXY?: string;

  /** Prefix of the auth rate limiter's keys in Redis (distributed mode), so deployments sharing a Redis stay apart. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9:_.-]{1,128}$/, {
    message: 'AUTH_RATE_LIMIT_KEY_PREFIX must be 1..128 letters, digits, :, _, . or -',
  })
  AUTH_RATE_LIMIT_KEY_PREFIX = 'agents:auth-rate';

  /** Shortest password a new account may have, in characters; existing accounts still sign in. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(8)
  @Max(128)
  PASSWORD_MIN_LENGTH = 12;

  @IsOptional()
  @IsString()
  @MaxLength(1024)
  CONFIG_PATH?: string;

  /** How long a finished chat stream can still be replayed (SSE resume) before it is forgotten. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  STREAM_RETENTION_SECONDS = 600;

  /** Generations one user may have running at once; one more answers 429. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  MAX_CONCURRENT_GENERATIONS = 2;

  /** Key for the `openai` provider. Optional: without it only custom endpoints can answer. */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  OPENAI_API_KEY?: string;

  /** Where the `openai` provider sends requests (any OpenAI-compatible server); the SDK default otherwise. */
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'OPENAI_BASE_URL must be an http:// or https:// URL' },
  )
  OPENAI_BASE_URL?: string;

  /** Key of the `anthropic` provider. */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  ANTHROPIC_API_KEY?: string;

  /** Base URL of the `anthropic` provider (Anthropic itself by default, or a compatible server). */
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'ANTHROPIC_BASE_URL must be an http:// or https:// URL' },
  )
  ANTHROPIC_BASE_URL?: string;

  /** Key of the `google` provider (Gemini API). */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  GOOGLE_API_KEY?: string;

  /** Base URL of the `google` provider (the Gemini API by default, or a compatible server). */
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'GOOGLE_BASE_URL must be an http:// or https:// URL' },
  )
  GOOGLE_BASE_URL?: string;

  /** How long a provider may take to send its first token before the generation fails as a timeout. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  PROVIDER_FIRST_TOKEN_TIMEOUT_MS = 60_000;

  /** Generations one worker process runs at once (they mostly wait on the provider). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(2000)
  WORKER_CONCURRENCY = 50;

  /**
   * How long a worker's hold on a job lasts without renewal; a worker that died is noticed by
   * another after about this long, and its generation ends as failed.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(600_000)
  WORKER_LOCK_MS = 30_000;

  /** On SIGTERM, how long running generations may take to finish before the process exits anyway. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3600)
  SHUTDOWN_DRAIN_SECONDS = 30;

  /** Seconds between `: ping` comments on an idle SSE stream. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(300)
  SSE_HEARTBEAT_SECONDS = 15;

  /** Requests per minute one API key (or user, with a JWT) may make to the OpenAI-compatible API. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  OPENAI_COMPAT_RATE_LIMIT = 600;

  /** Days a stored Responses API exchange (`store: true`) is kept, like OpenAI's 30. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  RESPONSES_RETENTION_DAYS = 30;

  /**
   * The most a provider is sent for one answer, in characters of instructions and messages
   * (characters, not tokens: no tokenizer per vendor is needed, and a token is about 4 characters
   * of English, so the default of 400,000 is about 100,000 tokens). Older history is dropped first;
   * instructions and the newest user message are always sent, and when they alone are over the
   * budget the request is refused (400).
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(50_000_000)
  CONTEXT_BUDGET_CHARS = 400_000;

  /** Chat streams (SSE) one user may hold open on one api process; one more answers 429. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  MAX_SSE_CONNECTIONS_PER_USER = 20;

  /** Agents one user may have created (and not deleted); creating or duplicating one more answers 409. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_AGENTS_PER_USER = 1000;

  /**
   * Versions one agent may have. History is append-only (never pruned), so an agent at the limit
   * refuses further changes and reverts with 409; duplicating it starts a copy at version 1.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_VERSIONS_PER_AGENT = 1000;

  /** Messages a conversation may have to be exported; the export of a longer one answers 422. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  EXPORT_MAX_MESSAGES = 5000;

  /**
   * Whether the worker asks the agent's model for a short title after the first message of a new
   * conversation (off: a conversation keeps its first words as its title).
   */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  TITLE_GENERATION = true;

  /** How long the title request may take before the conversation keeps its first words. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(120_000)
  TITLE_TIMEOUT_MS = 10_000;

  /** How long one tool call may run before it fails as a tool error (MCP servers may set their own). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  TOOL_TIMEOUT_MS = 30_000;

  /** Characters of one tool result the model is sent at most; the rest is cut with a visible note. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(256)
  @Max(1_000_000)
  TOOL_OUTPUT_MAX_CHARS = 20_000;

  /** Tool calls of one model step that run at once; further calls of the step wait their turn. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  TOOL_CONCURRENCY = 4;

  /** Wall-clock budget of one generation, all its model and tool steps together. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(86_400_000)
  GENERATION_TIMEOUT_MS = 600_000;

  /** Largest upload, in bytes. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  FILE_MAX_BYTES = 20 * 1024 * 1024;

  /** Bytes of files one user may hold, uploads and generated files together. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024 * 1024)
  FILE_QUOTA_BYTES = 500 * 1024 * 1024;

  /** Where file bytes live: `database` (both run modes) or `s3` (S3_* variables). */
  @IsOptional()
  @IsIn(['database', 's3'])
  FILE_STORAGE: 'database' | 's3' = 'database';

  @IsOptional()
  @IsString()
  @MaxLength(255)
  S3_BUCKET?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  S3_REGION = 'us-east-1';

  /** An S3-compatible endpoint (MinIO, Ceph, R2…); unset means AWS. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  S3_ENDPOINT?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  S3_ACCESS_KEY_ID?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  S3_SECRET_ACCESS_KEY?: string;

  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  S3_FORCE_PATH_STYLE = true;

  /** The Python the code interpreter runs; `off` disables the tool. */
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  CODE_INTERPRETER_PYTHON = 'python3';

  /** Wall-clock seconds one code interpreter call may run. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  CODE_INTERPRETER_TIMEOUT_SECONDS = 30;

  /** Memory (address space) one code interpreter call may use, in MB. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(64)
  @Max(65_536)
  CODE_INTERPRETER_MEMORY_MB = 512;

  /** The model of the image tool (`dalle`), on the `openai` provider's endpoint; `off` disables the tool. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  IMAGE_MODEL = 'gpt-image-1';
}

export type RunMode = 'embedded' | 'distributed';

/** Uploads and their storage (FILE_*, S3_*). */
export interface FileSettings {
  readonly maxBytes: number;
  readonly quotaBytes: number;
  readonly storage: 'database' | 's3';
  readonly s3: {
    readonly bucket?: string;
    readonly region: string;
    readonly endpoint?: string;
    readonly accessKeyId?: string;
    readonly secretAccessKey?: string;
    readonly forcePathStyle: boolean;
  };
}

/** The code interpreter (CODE_INTERPRETER_*); `python` null when it is off. */
export interface CodeInterpreterSettings {
  readonly python: string | null;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

/** Bounds of the tool loop (TOOL_TIMEOUT_MS, TOOL_OUTPUT_MAX_CHARS, TOOL_CONCURRENCY, GENERATION_TIMEOUT_MS). */
export interface ToolLimits {
  readonly timeoutMs: number;
  readonly outputMaxChars: number;
  readonly concurrency: number;
  readonly generationTimeoutMs: number;
}

/** Generated conversation titles (TITLE_GENERATION, TITLE_TIMEOUT_MS). */
export interface TitleSettings {
  readonly enabled: boolean;
  readonly timeoutMs: number;
}

/** Connection settings of the built-in `openai` provider. */
/** Connection settings of a built-in provider (`openai`, `anthropic`, `google`). */
export interface OpenAIProviderConfig {
  readonly apiKey?: string;
  readonly baseURL?: string;
}

/** The validated, typed configuration every module reads. Built once per process. */
export class AppConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly mode: RunMode;
  readonly databaseUrl?: string;
  readonly dbPoolSize: number;
  /** Milliseconds before the pool closes an unused connection, 0 for never (DB_IDLE_TIMEOUT_MS). */
  readonly dbIdleTimeoutMs: number;
  readonly redisUrl?: string;
  readonly jwtSecret: string;
  readonly jwtExpiresIn: string;
  readonly allowRegistration: boolean;
  readonly corsOrigins: string[];
  readonly logLevel: LogLevel;
  readonly authRateLimit: number;
  /** Express' `trust proxy` (TRUST_PROXY); `false` unless configured. */
  readonly trustProxy: TrustProxy;
  readonly authRateLimitKeyPrefix: string;
  readonly passwordMinLength: number;
  readonly customEndpoints: CustomEndpointConfig[];
  readonly streamRetentionSeconds: number;
  readonly maxConcurrentGenerations: number;
  readonly openai: OpenAIProviderConfig;
  readonly anthropic: OpenAIProviderConfig;
  readonly google: OpenAIProviderConfig;
  /** Milliseconds a provider may take to send its first token (PROVIDER_FIRST_TOKEN_TIMEOUT_MS). */
  readonly firstTokenTimeoutMs: number;
  readonly workerConcurrency: number;
  readonly workerLockMs: number;
  readonly shutdownDrainMs: number;
  readonly sseHeartbeatMs: number;
  /** Requests per minute per API key on `/api/agents/v1` (OPENAI_COMPAT_RATE_LIMIT). */
  readonly openaiCompatRateLimit: number;
  /** Days a stored response is kept (RESPONSES_RETENTION_DAYS). */
  readonly responsesRetentionDays: number;
  /** Characters of instructions and history sent to a provider at most (CONTEXT_BUDGET_CHARS). */
  readonly contextBudgetChars: number;
  /** Open chat streams per user and api process (MAX_SSE_CONNECTIONS_PER_USER). */
  readonly maxSseConnectionsPerUser: number;
  /** Agents per author (MAX_AGENTS_PER_USER). */
  readonly maxAgentsPerUser: number;
  /** Versions per agent (MAX_VERSIONS_PER_AGENT). */
  readonly maxVersionsPerAgent: number;
  /** Messages of a conversation an export may hold (EXPORT_MAX_MESSAGES). */
  readonly exportMaxMessages: number;
  /** Whether and how long the worker asks for a conversation's title (TITLE_GENERATION, TITLE_TIMEOUT_MS). */
  readonly titles: TitleSettings;
  /** The `web_search` tool's backend, when one is configured. */
  readonly webSearch?: WebSearchConfig;
  readonly mcpServers: McpServerConfig[];
  /** The config file's `prices`: what each model's tokens cost (docs/http-api.md § Usage). */
  readonly prices: ModelPriceConfig[];
  /** The config file's `budgets`: default limits per user and per API key. */
  readonly budgets: BudgetsConfig;
  readonly tools: ToolLimits;
  readonly files: FileSettings;
  readonly codeInterpreter: CodeInterpreterSettings;
  /** The image tool's model, or null when it is off. */
  readonly imageModel: string | null;

  constructor(env: EnvironmentVariables, file: ConfigFile, jwtSecret: string) {
    this.port = env.PORT;
    this.host = env.HOST;
    this.dataDir = resolve(env.DATA_DIR);
    this.databaseUrl = env.DATABASE_URL;
    this.mode = env.DATABASE_URL ? 'distributed' : 'embedded';
    this.dbPoolSize = env.DB_POOL_SIZE;
    this.dbIdleTimeoutMs = env.DB_IDLE_TIMEOUT_MS ?? (this.mode === 'embedded' ? 0 : 30_000);
    this.redisUrl = env.REDIS_URL;
    this.jwtSecret = jwtSecret;
    this.jwtExpiresIn = env.JWT_EXPIRES_IN;
    this.allowRegistration = env.ALLOW_REGISTRATION;
    this.corsOrigins = env.CORS_ORIGINS;
    this.logLevel = env.LOG_LEVEL;
    this.authRateLimit = env.AUTH_RATE_LIMIT;
    this.trustProxy = env.TRUST_PROXY === undefined ? false : (parseTrustProxy(env.TRUST_PROXY) ?? false);
    this.authRateLimitKeyPrefix = env.AUTH_RATE_LIMIT_KEY_PREFIX;
    this.passwordMinLength = env.PASSWORD_MIN_LENGTH;
    this.customEndpoints = file.customEndpoints;
    this.streamRetentionSeconds = env.STREAM_RETENTION_SECONDS;
    this.maxConcurrentGenerations = env.MAX_CONCURRENT_GENERATIONS;
    this.openai = { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL };
    this.anthropic = { apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL };
    this.google = { apiKey: env.GOOGLE_API_KEY, baseURL: env.GOOGLE_BASE_URL };
    this.firstTokenTimeoutMs = env.PROVIDER_FIRST_TOKEN_TIMEOUT_MS;
    this.workerConcurrency = env.WORKER_CONCURRENCY;
    this.workerLockMs = env.WORKER_LOCK_MS;
    this.shutdownDrainMs = env.SHUTDOWN_DRAIN_SECONDS * 1000;
    this.sseHeartbeatMs = env.SSE_HEARTBEAT_SECONDS * 1000;
    this.openaiCompatRateLimit = env.OPENAI_COMPAT_RATE_LIMIT;
    this.responsesRetentionDays = env.RESPONSES_RETENTION_DAYS;
    this.contextBudgetChars = env.CONTEXT_BUDGET_CHARS;
    this.maxSseConnectionsPerUser = env.MAX_SSE_CONNECTIONS_PER_USER;
    this.maxAgentsPerUser = env.MAX_AGENTS_PER_USER;
    this.maxVersionsPerAgent = env.MAX_VERSIONS_PER_AGENT;
    this.exportMaxMessages = env.EXPORT_MAX_MESSAGES;
    this.titles = { enabled: env.TITLE_GENERATION, timeoutMs: env.TITLE_TIMEOUT_MS };
    this.webSearch = file.webSearch;
    this.mcpServers = file.mcpServers;
    this.prices = file.prices;
    this.budgets = file.budgets ?? plainToInstance(BudgetsConfig, {}, { exposeDefaultValues: true });
    this.tools = {
      timeoutMs: env.TOOL_TIMEOUT_MS,
      outputMaxChars: env.TOOL_OUTPUT_MAX_CHARS,
      concurrency: env.TOOL_CONCURRENCY,
      generationTimeoutMs: env.GENERATION_TIMEOUT_MS,
    };
    this.files = {
      maxBytes: env.FILE_MAX_BYTES,
      quotaBytes: env.FILE_QUOTA_BYTES,
      storage: env.FILE_STORAGE,
      s3: {
        bucket: env.S3_BUCKET,
        region: env.S3_REGION,
        endpoint: env.S3_ENDPOINT,
        accessKeyId: env.S3_ACCESS_KEY_ID,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY,
        forcePathStyle: env.S3_FORCE_PATH_STYLE,
      },
    };
    this.codeInterpreter = {
      python: env.CODE_INTERPRETER_PYTHON === 'off' ? null : env.CODE_INTERPRETER_PYTHON,
      timeoutSeconds: env.CODE_INTERPRETER_TIMEOUT_SECONDS,
      memoryMb: env.CODE_INTERPRETER_MEMORY_MB,
    };
    this.imageModel = env.IMAGE_MODEL === 'off' ? null : env.IMAGE_MODEL;
  }
}

/** Thrown when the environment or the config file is invalid; main() prints it and exits. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => `${path}: ${m}`);
    return [...own, ...describe(e.children ?? [], path)];
  });
}

function validated<T extends object>(cls: new () => T, plain: unknown, what: string): T {
  const instance = plainToInstance(cls, plain ?? {}, { exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new ConfigError(`Invalid ${what}:\n  ${describe(errors).join('\n  ')}`);
  }
  return instance;
}

function readConfigFile(path: string | undefined): ConfigFile {
  if (!path) return new ConfigFile();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(resolve(path), 'utf8'));
  } catch (err) {
    throw new ConfigError(`CONFIG_PATH: cannot read ${path} as JSON (${(err as Error).message})`);
  }
  return validated(ConfigFile, raw, `config file ${path}`);
}

/** Embedded mode keeps a generated secret in DATA_DIR so tokens survive a restart. */
function embeddedJwtSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
  return secret;
}

/** The one place that reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const plain = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const vars = validated(EnvironmentVariables, plain, 'environment');
  const file = readConfigFile(vars.CONFIG_PATH);
  const distributed = Boolean(vars.DATABASE_URL);
  if (distributed && !vars.JWT_SECRET) {
    throw new ConfigError('Invalid environment:\n  JWT_SECRET: required when DATABASE_URL is set');
  }
  const secret = vars.JWT_SECRET ?? embeddedJwtSecret(resolve(vars.DATA_DIR));
  return new AppConfig(vars, file, secret);
}
