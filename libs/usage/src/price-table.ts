import { Injectable } from '@nestjs/common';
import { AppConfig, type ModelPriceConfig } from '@agents/core';
import type { UsageCounts } from './usage-counts';

const PER_MILLION = 1_000_000;

/**
 * What tokens cost, from the config file's `prices` (US dollars per million tokens). A model is
 * priced by its exact key, else by the longest `prefix*` key that matches it, else by the
 * provider's `*`; a model with no price has no cost (usage lists such requests as unpriced).
 */
@Injectable()
export class PriceTable {
  private readonly exact = new Map<string, ModelPriceConfig>();
  /** Per provider, its prefix prices, longest prefix first. */
  private readonly prefixes = new Map<string, { prefix: string; price: ModelPriceConfig }[]>();

  constructor(config: AppConfig) {
    for (const price of config.prices) {
      const provider = price.provider.toLowerCase();
      if (!price.model.endsWith('*')) {
        this.exact.set(`${provider}\u0000${price.model}`, price);
        continue;
      }
      const list = this.prefixes.get(provider) ?? [];
      list.push({ prefix: price.model.slice(0, -1), price });
      list.sort((a, b) => b.prefix.length - a.prefix.length);
      this.prefixes.set(provider, list);
    }
  }

  /** The price of a provider's model, or undefined when the table has none. */
  priceOf(provider: string, model: string): ModelPriceConfig | undefined {
    const key = provider.toLowerCase();
    return (
      this.exact.get(`${key}\u0000${model}`) ?? this.prefixes.get(key)?.find((p) => model.startsWith(p.prefix))?.price
    );
  }

  /**
   * The cost of one generation's tokens in US dollars, or null when the model has no price. Cached
   * input is billed at `cachedInput` and cache writes at `cacheWrite` (each the input price when unset).
   */
  cost(provider: string, model: string, usage: UsageCounts): number | null {
    const price = this.priceOf(provider, model);
    if (!price) return null;
    const cached = Math.min(usage.cachedTokens, usage.inputTokens);
    const written = Math.min(usage.cacheWriteTokens, usage.inputTokens - cached);
    const plainInput = usage.inputTokens - cached - written;
    const dollars =
      plainInput * price.input +
      cached * (price.cachedInput ?? price.input) +
      written * (price.cacheWrite ?? price.input) +
      usage.outputTokens * price.output;
    return roundNanos(dollars / PER_MILLION);
  }

  /** What `tokens` output tokens of the model cost: a running request's reservation against cost limits. */
  reserveCost(provider: string, model: string, tokens: number): number {
    const price = this.priceOf(provider, model);
    if (!price) return 0;
    return roundNanos((tokens * Math.max(price.input, price.output)) / PER_MILLION);
  }
}

/** Costs are kept to the nano-dollar, as the database stores them. */
export function roundNanos(dollars: number): number {
  return Math.round(dollars * 1e9) / 1e9;
}
