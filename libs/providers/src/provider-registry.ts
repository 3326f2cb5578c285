import { Injectable } from '@nestjs/common';
import { AppConfig } from '@agents/core';

export interface ProviderInfo {
  /** The canonical name stored on agents. */
  name: string;
  kind: 'builtin' | 'custom';
  /** Models a custom endpoint serves; empty means unrestricted. */
  models: string[];
  /** Whether this deployment can call it: a key or a base URL is set (custom endpoints always). */
  configured: boolean;
  /** For a built-in that is not configured, the settings that would configure it. */
  missing?: string;
}

/** The settings that configure each built-in provider. */
const SETTINGS: Record<(typeof BUILTIN_PROVIDERS)[number], string> = {
  openai: 'OPENAI_API_KEY or OPENAI_BASE_URL',
  anthropic: 'ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL',
  google: 'GOOGLE_API_KEY or GOOGLE_BASE_URL',
};

/** The vendors the service speaks to through their official SDKs (docs/http-api.md § Tools and providers). */
export const BUILTIN_PROVIDERS = ['openai', 'anthropic', 'google'] as const;

/** Knows which provider names an agent may use: the built-ins plus the config file's custom endpoints. */
@Injectable()
export class ProviderRegistry {
  private readonly byKey = new Map<string, ProviderInfo>();

  constructor(config: AppConfig) {
    for (const name of BUILTIN_PROVIDERS) {
      const settings = config[name];
      const configured = !!(settings.apiKey || settings.baseURL);
      this.byKey.set(name, {
        name,
        kind: 'builtin',
        models: [],
        configured,
        ...(configured ? {} : { missing: SETTINGS[name] }),
      });
    }
    for (const endpoint of config.customEndpoints) {
      const key = endpoint.name.toLowerCase();
      if (this.byKey.has(key)) continue; // a custom endpoint cannot shadow a built-in or an earlier one
      this.byKey.set(key, { name: endpoint.name, kind: 'custom', models: endpoint.models, configured: true });
    }
  }

  /** Case-insensitive lookup, so LibreChat spellings like `openAI` resolve to `openai`. */
  resolve(name: string): ProviderInfo | undefined {
    return this.byKey.get(name.toLowerCase());
  }

  /** Every provider an agent may name, built-ins first, with whether this deployment can call it. */
  list(): ProviderInfo[] {
    return [...this.byKey.values()].map((info) => ({ ...info, models: [...info.models] }));
  }

  names(): string[] {
    return [...this.byKey.values()].map((p) => p.name);
  }
}
