import { Injectable } from '@nestjs/common';
import { AppConfig } from '@agents/core';

export interface ProviderInfo {
  /** The canonical name stored on agents. */
  name: string;
  kind: 'builtin' | 'custom';
  /** Models a custom endpoint serves; empty means unrestricted. */
  models: string[];
}

/** The vendors the service speaks to through their official SDKs (docs/http-api.md § Tools and providers). */
export const BUILTIN_PROVIDERS = ['openai', 'anthropic', 'google'] as const;

/** Knows which provider names an agent may use: the built-ins plus the config file's custom endpoints. */
@Injectable()
export class ProviderRegistry {
  private readonly byKey = new Map<string, ProviderInfo>();

  constructor(config: AppConfig) {
    for (const name of BUILTIN_PROVIDERS) this.byKey.set(name, { name, kind: 'builtin', models: [] });
    for (const endpoint of config.customEndpoints) {
      const key = endpoint.name.toLowerCase();
      if (this.byKey.has(key)) continue; // a custom endpoint cannot shadow a built-in or an earlier one
      this.byKey.set(key, { name: endpoint.name, kind: 'custom', models: endpoint.models });
    }
  }

  /** Case-insensitive lookup, so LibreChat spellings like `openAI` resolve to `openai`. */
  resolve(name: string): ProviderInfo | undefined {
    return this.byKey.get(name.toLowerCase());
  }

  names(): string[] {
    return [...this.byKey.values()].map((p) => p.name);
  }
}
