import type { FieldProblem } from '@agents/core';
import type { ChatParameters } from './chat-provider';
import type { ProviderInfo } from './provider-registry';

/**
 * Which of an agent's `model_parameters` each provider can take, checked when the agent is saved:
 * a parameter its adapter would drop, or one the vendor refuses, is then a 400 naming the field
 * rather than an answer that silently ignores it or a failure at chat time. The table mirrors what
 * each mapping sends (openai.mapping.ts, anthropic.mapping.ts, google.mapping.ts); change both
 * together.
 */

/** The wire protocol a provider speaks: custom endpoints all speak OpenAI's. */
export type ProviderProtocol = 'openai' | 'anthropic' | 'google';

export function protocolOf(provider: Pick<ProviderInfo, 'name' | 'kind'>): ProviderProtocol {
  if (provider.kind === 'custom') return 'openai';
  if (provider.name === 'anthropic' || provider.name === 'google') return provider.name;
  return 'openai';
}

const ALL: readonly ProviderProtocol[] = ['openai', 'anthropic', 'google'];

/**
 * The protocols whose request carries each sampling parameter. Stored-only settings (LibreChat's
 * `maxContextTokens`, `resendFiles`) are sent to no vendor and are not listed: every provider
 * accepts them.
 */
export const PROVIDER_PARAMETERS: Readonly<Record<keyof ChatParameters, readonly ProviderProtocol[]>> = {
  temperature: ALL,
  top_p: ALL,
  max_tokens: ALL,
  stop: ALL,
  // Anthropic's Messages API has no penalties.
  frequency_penalty: ['openai', 'google'],
  presence_penalty: ['openai', 'google'],
  // Not part of OpenAI's protocol.
  top_k: ['anthropic', 'google'],
  reasoning_effort: ['openai'],
  verbosity: ['openai'],
  thinking_budget: ['anthropic', 'google'],
};

const PROTOCOL_NAMES: Record<ProviderProtocol, string> = {
  openai: 'OpenAI and OpenAI-compatible endpoints',
  anthropic: 'Anthropic',
  google: 'Google',
};

/** Anthropic refuses a smaller budget for extended thinking. */
export const ANTHROPIC_MIN_THINKING_BUDGET = 1024;
/** With thinking on, Anthropic accepts top_p only between this and 1. */
export const ANTHROPIC_THINKING_MIN_TOP_P = 0.95;

/** How a parameter's key is named in a problem; `model_parameters.<key>` unless the caller knows better. */
export type ParameterField = (key: string) => string;

/**
 * Why `provider` cannot take `parameters` (an agent's stored `model_parameters`), one problem per
 * field, in the validator's `{field, message}` shape; empty when it can.
 */
export function modelParameterProblems(
  provider: Pick<ProviderInfo, 'name' | 'kind'>,
  parameters: Record<string, unknown>,
  fieldOf: ParameterField = (key) => `model_parameters.${key}`,
): FieldProblem[] {
  const protocol = protocolOf(provider);
  const problems: FieldProblem[] = [];
  const set = (key: string): boolean => parameters[key] !== undefined && parameters[key] !== null;

  for (const [key, protocols] of Object.entries(PROVIDER_PARAMETERS)) {
    if (!set(key) || protocols.includes(protocol)) continue;
    problems.push({
      field: fieldOf(key),
      message: `provider "${provider.name}" does not take ${key}; it is for ${protocols.map((p) => PROTOCOL_NAMES[p]).join(' and ')}`,
    });
  }
  if (protocol === 'anthropic') problems.push(...anthropicThinkingProblems(parameters, fieldOf));
  return problems;
}

/**
 * Anthropic's own rules for extended thinking, which it enforces with a 400 at chat time: a budget
 * of at least 1024 tokens, below max_tokens (the budget counts against it), and no change of
 * temperature or top_k (top_p only from 0.95).
 */
function anthropicThinkingProblems(parameters: Record<string, unknown>, fieldOf: ParameterField): FieldProblem[] {
  const budget = numberOf(parameters.thinking_budget);
  if (budget === undefined) return [];
  const problems: FieldProblem[] = [];
  const maxTokens = numberOf(parameters.max_tokens);
  if (budget < ANTHROPIC_MIN_THINKING_BUDGET) {
    problems.push({
      field: fieldOf('thinking_budget'),
      message: `Anthropic's extended thinking needs a thinking_budget of at least ${ANTHROPIC_MIN_THINKING_BUDGET} tokens`,
    });
  } else if (maxTokens !== undefined && budget >= maxTokens) {
    problems.push({
      field: fieldOf('thinking_budget'),
      message: `thinking_budget (${budget}) must be below max_tokens (${maxTokens}): Anthropic counts thinking against max_tokens`,
    });
  }
  const temperature = numberOf(parameters.temperature);
  if (temperature !== undefined && temperature !== 1) {
    problems.push({
      field: fieldOf('temperature'),
      message: 'Anthropic refuses temperature changes with extended thinking (thinking_budget); leave it unset or 1',
    });
  }
  if (numberOf(parameters.top_k) !== undefined) {
    problems.push({
      field: fieldOf('top_k'),
      message: 'Anthropic refuses top_k with extended thinking (thinking_budget); leave it unset',
    });
  }
  const topP = numberOf(parameters.top_p);
  if (topP !== undefined && topP < ANTHROPIC_THINKING_MIN_TOP_P) {
    problems.push({
      field: fieldOf('top_p'),
      message: `Anthropic takes top_p only from ${ANTHROPIC_THINKING_MIN_TOP_P} to 1 with extended thinking (thinking_budget)`,
    });
  }
  return problems;
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
