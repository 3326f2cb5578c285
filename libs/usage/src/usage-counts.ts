/**
 * The tokens one generation used, as providers report them: `inputTokens` includes the cached and
 * cache-written ones, `outputTokens` includes the reasoning ones (OpenAI's convention).
 */
export interface UsageCounts {
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
}

/** What providers report (the generation's usage), into the counts usage is kept in. */
export function usageCountsFrom(usage: {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens?: number;
  cachedTokens?: number;
  cacheWriteTokens?: number;
}): UsageCounts {
  return {
    inputTokens: usage.promptTokens,
    outputTokens: usage.completionTokens,
    reasoningTokens: usage.reasoningTokens ?? 0,
    cachedTokens: usage.cachedTokens ?? 0,
    cacheWriteTokens: usage.cacheWriteTokens ?? 0,
  };
}
