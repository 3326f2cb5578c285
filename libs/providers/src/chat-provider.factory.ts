import { Injectable } from '@nestjs/common';
import { AppConfig } from '@agents/core';
import { type ChatProvider, ProviderError } from './chat-provider';
import { AnthropicChatProvider } from './anthropic.provider';
import { GoogleChatProvider } from './google.provider';
import { OpenAIChatProvider } from './openai.provider';
import { ProviderRegistry } from './provider-registry';

/**
 * Hands the worker the ChatProvider for an agent's provider name. Providers are built once per
 * name and reused, so each endpoint keeps one SDK client and its pool of keep-alive connections.
 */
@Injectable()
export class ChatProviderFactory {
  private readonly providers = new Map<string, ChatProvider>();

  constructor(
    private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
  ) {}

  /**
   * The provider for `providerName` as stored on an agent (case-insensitive, like the registry).
   * Throws a ProviderError of kind `unsupported` for unknown names and for vendors not wired yet.
   */
  forAgent(providerName: string): ChatProvider {
    const info = this.registry.resolve(providerName);
    if (!info) throw new ProviderError('unsupported', `Unknown provider "${providerName}"`);
    const cached = this.providers.get(info.name);
    if (cached) return cached;

    const provider = this.create(info.name, info.kind);
    this.providers.set(info.name, provider);
    return provider;
  }

  private create(name: string, kind: 'builtin' | 'custom'): ChatProvider {
    const options = { firstTokenTimeoutMs: this.config.firstTokenTimeoutMs };
    if (kind === 'custom') {
      const endpoint = this.config.customEndpoints.find((e) => e.name === name);
      if (!endpoint) throw new ProviderError('unsupported', `Unknown provider "${name}"`);
      return new OpenAIChatProvider({ name, baseURL: endpoint.baseURL, apiKey: endpoint.apiKey }, options);
    }
    const info = this.registry.resolve(name);
    if (info && !info.configured) {
      throw new ProviderError(
        'unsupported',
        `The ${name} provider is not configured on this server: set ${info.missing}`,
      );
    }
    switch (name) {
      case 'openai':
        return new OpenAIChatProvider(
          { name, baseURL: this.config.openai.baseURL, apiKey: this.config.openai.apiKey },
          options,
        );
      case 'anthropic':
        return new AnthropicChatProvider(
          { name, baseURL: this.config.anthropic.baseURL, apiKey: this.config.anthropic.apiKey },
          options,
        );
      case 'google':
        return new GoogleChatProvider(
          { name, baseURL: this.config.google.baseURL, apiKey: this.config.google.apiKey },
          options,
        );
      default:
        throw new ProviderError('unsupported', `The ${name} provider is not supported yet`);
    }
  }
}
