import type { AppConfig, ModelPriceConfig } from '@agents/core';
import { PriceTable } from './price-table';
import type { UsageCounts } from './usage-counts';

const price = (provider: string, model: string, p: Partial<ModelPriceConfig>): ModelPriceConfig => ({
  provider,
  model,
  input: 0,
  output: 0,
  ...p,
});
const table = (...prices: ModelPriceConfig[]) => new PriceTable({ prices } as AppConfig);
const usage = (counts: Partial<UsageCounts>): UsageCounts => ({
  inputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  ...counts,
});

describe('PriceTable', () => {
  it('prices input and output per million tokens, to the nano-dollar', () => {
    const prices = table(price('openai', 'gpt-4o-mini', { input: 0.15, output: 0.6 }));
    expect(prices.cost('openai', 'gpt-4o-mini', usage({ inputTokens: 1000, outputTokens: 200 }))).toBeCloseTo(
      0.00027,
      12,
    );
    expect(prices.cost('openai', 'gpt-4o-mini', usage({ inputTokens: 1, outputTokens: 0 }))).toBe(0.00000015);
  });

  it('bills cached input and cache writes at their own prices, and at the input price when they have none', () => {
    const anthropic = table(price('anthropic', 'claude', { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 }));
    // 1,000 input tokens of which 600 read from the cache and 300 written to it: 100 plain.
    const counts = usage({ inputTokens: 1000, cachedTokens: 600, cacheWriteTokens: 300, outputTokens: 100 });
    expect(anthropic.cost('anthropic', 'claude', counts)).toBeCloseTo(
      (100 * 3 + 600 * 0.3 + 300 * 3.75 + 100 * 15) / 1e6,
      12,
    );
    const plain = table(price('openai', 'x', { input: 2, output: 4 }));
    expect(plain.cost('openai', 'x', counts)).toBeCloseTo((1000 * 2 + 100 * 4) / 1e6, 12);
  });

  it('never counts cached tokens beyond the input a provider reported', () => {
    const prices = table(price('openai', 'x', { input: 10, output: 0, cachedInput: 1 }));
    expect(prices.cost('openai', 'x', usage({ inputTokens: 100, cachedTokens: 500 }))).toBeCloseTo((100 * 1) / 1e6, 12);
  });

  it('matches the exact model first, then the longest prefix, then the provider-wide *; provider names in any case', () => {
    const prices = table(
      price('openai', '*', { input: 1 }),
      price('openai', 'gpt-4*', { input: 2 }),
      price('openai', 'gpt-4o*', { input: 3 }),
      price('openai', 'gpt-4o', { input: 4 }),
    );
    expect(prices.priceOf('OpenAI', 'gpt-4o')?.input).toBe(4);
    expect(prices.priceOf('openai', 'gpt-4o-2024-08-06')?.input).toBe(3);
    expect(prices.priceOf('openai', 'gpt-4.1')?.input).toBe(2);
    expect(prices.priceOf('openai', 'o3')?.input).toBe(1);
    expect(prices.priceOf('anthropic', 'gpt-4o')).toBeUndefined();
  });

  it('gives no cost (null) for a model without a price, and reserves nothing for it', () => {
    const prices = table(price('openai', 'gpt-4o', { input: 1, output: 1 }));
    expect(prices.cost('google', 'gemini', usage({ inputTokens: 10 }))).toBeNull();
    expect(prices.reserveCost('google', 'gemini', 4000)).toBe(0);
    expect(prices.reserveCost('openai', 'gpt-4o', 4000)).toBeCloseTo(0.004, 12);
  });
});
