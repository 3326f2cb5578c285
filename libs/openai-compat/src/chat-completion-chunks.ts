import type { CompletionResult } from '@agents/chat';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { openAIFinishReason, type AnswerEvent } from './generation-events';

/** What every chunk of one answer shares. */
export interface CompletionIdentity {
  id: string;
  /** Unix seconds. */
  created: number;
  /** The id of the agent that answers (the client may have named it by its name), as OpenAI echoes the model it resolved. */
  model: string;
  /** Echoed on every chunk when the request named a service tier: the tier that applied. */
  serviceTier?: 'default';
}

/**
 * Turns a generation's events into OpenAI's `chat.completion.chunk` frames (and, for a
 * non-streaming request, one `chat.completion`): a role delta first, content deltas, a chunk with
 * the finish reason, and on request one usage chunk with `choices: []`. Every chunk has the same
 * `id`, `created` and `model`.
 *
 * The agent's server-side tools (web search, calculator, MCP tools) run within the answer and only
 * their outcome reaches the client, as the text the model writes with it: a `tool_calls` delta
 * would ask an OpenAI client to run the call itself, which it cannot. So tool steps, their results
 * and attachments make no chunk, and the text of every model step (before and after its tool
 * calls) goes into the one assistant message.
 */
export class ChatCompletionChunks {
  private text = '';

  constructor(
    private readonly identity: CompletionIdentity,
    private readonly includeUsage = false,
  ) {}

  roleChunk(): ChatCompletionChunk {
    return this.chunk({ role: 'assistant', content: '' });
  }

  /** The chunks one answer event becomes: a content chunk for text, none for the rest. */
  chunksFor(event: AnswerEvent): ChatCompletionChunk[] {
    if (event.kind !== 'message_delta') return [];
    this.text += event.text;
    return [this.chunk({ content: event.text })];
  }

  finishChunk(result: CompletionResult): ChatCompletionChunk {
    return this.chunk({}, openAIFinishReason(result.finishReason));
  }

  usageChunk(result: CompletionResult): ChatCompletionChunk {
    return { ...this.base(), choices: [], usage: usageOf(result) };
  }

  /** The whole answer as one `chat.completion` (non-streaming requests). */
  completion(result: CompletionResult): ChatCompletion {
    return {
      id: this.identity.id,
      object: 'chat.completion',
      created: this.identity.created,
      model: this.identity.model,
      ...this.tier(),
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: this.text,
            refusal: null,
            annotations: [],
          },
          logprobs: null,
          finish_reason: openAIFinishReason(result.finishReason),
        },
      ],
      usage: usageOf(result),
    };
  }

  private base(): Omit<ChatCompletionChunk, 'choices'> {
    return {
      id: this.identity.id,
      object: 'chat.completion.chunk',
      created: this.identity.created,
      model: this.identity.model,
      ...this.tier(),
    };
  }

  private tier(): { service_tier?: 'default' } {
    return this.identity.serviceTier ? { service_tier: this.identity.serviceTier } : {};
  }

  private chunk(
    delta: ChatCompletionChunk.Choice.Delta,
    finishReason: ChatCompletionChunk.Choice['finish_reason'] = null,
  ): ChatCompletionChunk {
    return {
      ...this.base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      // With include_usage OpenAI sends `usage: null` on every chunk before the usage chunk.
      ...(this.includeUsage ? { usage: null } : {}),
    };
  }
}

function usageOf(result: CompletionResult): NonNullable<ChatCompletion['usage']> {
  const prompt = result.usage?.promptTokens ?? 0;
  const completion = result.usage?.completionTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: result.usage?.cachedTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: result.usage?.reasoningTokens ?? 0 },
  };
}
