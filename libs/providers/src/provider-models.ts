import { Inject, Injectable, Optional } from '@nestjs/common';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { AppConfig } from '@agents/core';
import { type ProviderInfo, ProviderRegistry } from './provider-registry';

/**
 * Where a provider's listed models came from: the config file's `models` list (the only one that
 * limits what agents may name), the endpoint's own model listing, or nowhere.
 */
export type ModelsSource = 'config' | 'endpoint' | 'none';

/** A provider as `GET /api/agents/providers` lists it. */
export interface ProviderListing extends ProviderInfo {
  modelsSource: ModelsSource;
  /** Why the endpoint's listing is empty when fetching it failed; safe to show any user. */
  modelsError?: string;
}

export interface ModelDiscoveryOptions {
  /** How long one listing may take before it counts as failed. */
  timeoutMs: number;
  /** How long a listing is reused. */
  successTtlMs: number;
  /** How long a failure is reused before the endpoint is asked again. */
  failureTtlMs: number;
  /** The clock, for tests of the cache. */
  now: () => number;
}

/** Overrides {@link ModelDiscoveryOptions}' defaults (tests); production uses the defaults. */
export const MODEL_DISCOVERY_OPTIONS = Symbol('MODEL_DISCOVERY_OPTIONS');

const DEFAULT_OPTIONS: ModelDiscoveryOptions = {
  timeoutMs: 3_000,
  successTtlMs: 5 * 60_000,
  failureTtlMs: 30_000,
  now: () => Date.now(),
};

/** No endpoint lists more than this many models for a picker; stop paging there. */
const MAX_MODELS = 1_000;
/** The SDKs refuse to start without a key; a keyless endpoint gets this and its header is removed. */
const NO_KEY = 'no-key';

/** Lists one endpoint's model ids through its vendor's SDK; `signal` fires at the timeout. */
type ModelLister = (signal: AbortSignal, timeoutMs: number) => Promise<string[]>;

type Fetched = { models: string[] } | { error: string };

interface CacheEntry {
  result: Promise<Fetched>;
  /** Infinity while the fetch runs, so concurrent requests share it. */
  expiresAt: number;
}

/**
 * The provider listing with each provider's models: a custom endpoint's configured list when it
 * has one, otherwise what the endpoint itself lists (OpenAI-compatible `/models`, Anthropic's and
 * Gemini's model listings, through their official SDKs) when this deployment can call it. Listings
 * are cached per provider and fetched once for concurrent requests; an endpoint that fails or does
 * not answer in time lists no models and says why, and never fails the listing.
 */
@Injectable()
export class ProviderModelCatalog {
  private readonly options: ModelDiscoveryOptions;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly listers = new Map<string, ModelLister | undefined>();

  constructor(
    private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    @Optional() @Inject(MODEL_DISCOVERY_OPTIONS) options?: Partial<ModelDiscoveryOptions>,
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  /** Every provider an agent may name, built-ins first, with its models and where they came from. */
  list(): Promise<ProviderListing[]> {
    return Promise.all(this.registry.list().map((info) => this.listingOf(info)));
  }

  private async listingOf(info: ProviderInfo): Promise<ProviderListing> {
    if (info.models.length > 0) return { ...info, modelsSource: 'config' };
    const lister = this.listerFor(info);
    if (!lister) return { ...info, modelsSource: 'none' };
    const fetched = await this.cached(info.name, lister);
    return 'models' in fetched
      ? { ...info, models: fetched.models, modelsSource: 'endpoint' }
      : { ...info, models: [], modelsSource: 'endpoint', modelsError: fetched.error };
  }

  private cached(name: string, lister: ModelLister): Promise<Fetched> {
    const hit = this.cache.get(name);
    if (hit && hit.expiresAt > this.options.now()) return hit.result;
    const { timeoutMs, successTtlMs, failureTtlMs } = this.options;
    const deadline = AbortSignal.timeout(timeoutMs);
    const entry: CacheEntry = {
      expiresAt: Number.POSITIVE_INFINITY,
      result: lister(deadline, timeoutMs).then(
        (models): Fetched => {
          entry.expiresAt = this.options.now() + successTtlMs;
          return { models: [...new Set(models)].slice(0, MAX_MODELS) };
        },
        (error: unknown): Fetched => {
          entry.expiresAt = this.options.now() + failureTtlMs;
          return { error: describeFailure(error, deadline.aborted, timeoutMs) };
        },
      ),
    };
    this.cache.set(name, entry);
    return entry.result;
  }

  /** How to list the provider's models, or undefined when it has no endpoint this deployment can call. */
  private listerFor(info: ProviderInfo): ModelLister | undefined {
    if (!this.listers.has(info.name)) this.listers.set(info.name, this.createLister(info));
    return this.listers.get(info.name);
  }

  private createLister(info: ProviderInfo): ModelLister | undefined {
    if (info.kind === 'custom') {
      const endpoint = this.config.customEndpoints.find((e) => e.name === info.name);
      return endpoint ? openAILister(endpoint.baseURL, endpoint.apiKey) : undefined;
    }
    if (!info.configured) return undefined;
    switch (info.name) {
      case 'openai':
        return openAILister(this.config.openai.baseURL, this.config.openai.apiKey);
      case 'anthropic':
        return anthropicLister(this.config.anthropic.baseURL, this.config.anthropic.apiKey);
      case 'google':
        return googleLister(this.config.google.baseURL, this.config.google.apiKey);
      default:
        return undefined;
    }
  }
}

/** `GET {baseURL}/models` of any OpenAI-compatible server. Like the chat adapter, nothing is read from process.env. */
function openAILister(baseURL: string | undefined, apiKey: string | undefined): ModelLister {
  const client = new OpenAI({
    apiKey: apiKey || NO_KEY,
    baseURL: baseURL ?? 'https://api.openai.com/v1',
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 0,
    logLevel: 'off',
    ...(apiKey ? {} : { defaultHeaders: { Authorization: null } }),
  });
  return async (signal, timeoutMs) => {
    const ids: string[] = [];
    for await (const model of client.models.list({ signal, timeout: timeoutMs, maxRetries: 0 })) {
      ids.push(model.id);
      if (ids.length >= MAX_MODELS) break;
    }
    return ids;
  };
}

/** Anthropic's `GET /v1/models`, newest first. */
function anthropicLister(baseURL: string | undefined, apiKey: string | undefined): ModelLister {
  const client = new Anthropic({
    apiKey: apiKey || NO_KEY,
    baseURL: baseURL ?? 'https://api.anthropic.com',
    webhookKey: null,
    maxRetries: 0,
    openTelemetry: false,
    logLevel: 'off',
    ...(apiKey ? {} : { defaultHeaders: { Authorization: null, 'X-Api-Key': null } }),
  });
  return async (signal, timeoutMs) => {
    const ids: string[] = [];
    const pages = client.models.list({ limit: MAX_MODELS }, { signal, timeout: timeoutMs, maxRetries: 0 });
    for await (const model of pages) {
      ids.push(model.id);
      if (ids.length >= MAX_MODELS) break;
    }
    return ids;
  };
}

/** Gemini's `GET /v1beta/models`: only the models that generate content (not embeddings), without the `models/` prefix. */
function googleLister(baseURL: string | undefined, apiKey: string | undefined): ModelLister {
  const client = new GoogleGenAI({
    vertexai: false,
    apiKey: apiKey ?? '',
    apiVersion: 'v1beta',
    httpOptions: { baseUrl: baseURL ?? 'https://generativelanguage.googleapis.com', apiVersion: 'v1beta' },
  });
  return async (signal, timeoutMs) => {
    const ids: string[] = [];
    const pager = await client.models.list({
      config: { pageSize: MAX_MODELS, abortSignal: signal, httpOptions: { timeout: timeoutMs } },
    });
    for await (const model of pager) {
      const generates = !model.supportedActions || model.supportedActions.includes('generateContent');
      if (model.name && generates) ids.push(model.name.replace(/^models\//, ''));
      if (ids.length >= MAX_MODELS) break;
    }
    return ids;
  };
}

/**
 * Why a listing failed, in words any user may read: the status or the timeout, never the
 * endpoint's own words (which can echo a key or an internal host).
 */
function describeFailure(error: unknown, timedOut: boolean, timeoutMs: number): string {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return `the endpoint answered HTTP ${status} to the model listing`;
  // The SDKs' own timeouts fire at the same moment as the deadline; either way it is the deadline.
  if (timedOut || (error instanceof Error && error.name.includes('Timeout'))) {
    return `the endpoint did not list its models within ${timeoutMs} ms`;
  }
  return 'the endpoint could not be reached to list its models';
}
