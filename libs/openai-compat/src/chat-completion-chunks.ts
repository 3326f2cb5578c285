import type { CompletionResult } from '@agents/chat';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageToolCall,
} from 'openai/resources/chat/completions';
import { openAIFinishReason, type GenerationEvent } from './generation-events';

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

interface ToolCallState {
  index: number;
  id: string;
  name: string;
  arguments: string;
}

/**
 * Turns a generation's events into OpenAI's `chat.completion.chunk` frames (and, for a
 * non-streaming request, one `chat.completion`): a role delta first, content deltas, the agent's
 * server-side tool calls as `tool_calls` deltas (the first fragment of each with `index`, `id`,
 * `type` and `function.name`; later ones with `index` and argument text), a chunk with the
 * finish reason, and on request one usage chunk with `choices: []`. Every chunk has the same
 * `id`, `created` and `model`.
 */
export class ChatCompletionChunks {
  private text = '';
  private readonly toolCalls: ToolCallState[] = [];
  /** The call that fragments without an id continue, per run step. */
  private readonly lastCallOfStep = new Map<string, ToolCallState>();

  constructor(
    private readonly identity: CompletionIdentity,
    private readonly includeUsage = false,
  ) {}

  roleChunk(): ChatCompletionChunk {
    return this.chunk({ role: 'assistant', content: '' });
  }

  /** The chunks one event becomes (none for events a client of this API does not see). */
  chunksFor(event: GenerationEvent): ChatCompletionChunk[] {
    if (event.type === 'text') {
      this.text += event.text;
      return [this.chunk({ content: event.text })];
    }
    if (event.type !== 'tool_call') return [];
    const known =
      event.id !== undefined
        ? this.toolCalls.find((call) => call.id === event.id)
        : this.lastCallOfStep.get(event.stepId);
    if (known) {
      known.arguments += event.args;
      if (event.name && !known.name) known.name = event.name;
      return event.args
        ? [this.chunk({ tool_calls: [{ index: known.index, function: { arguments: event.args } }] })]
        : [];
    }
    const call: ToolCallState = {
      index: this.toolCalls.length,
      id: event.id ?? `call_${this.identity.id.slice(-12)}_${this.toolCalls.length}`,
      name: event.name ?? '',
      arguments: event.args,
    };
    this.toolCalls.push(call);
    this.lastCallOfStep.set(event.stepId, call);
    return [
      this.chunk({
        tool_calls: [
          { index: call.index, id: call.id, type: 'function', function: { name: call.name, arguments: event.args } },
        ],
      }),
    ];
  }

  finishChunk(result: CompletionResult): ChatCompletionChunk {
    return this.chunk({}, openAIFinishReason(result.finishReason));
  }

  usageChunk(result: CompletionResult): ChatCompletionChunk {
    return { ...this.base(), choices: [], usage: usageOf(result) };
  }

  /** The whole answer as one `chat.completion` (non-streaming requests). */
  completion(result: CompletionResult): ChatCompletion {
    const toolCalls: ChatCompletionMessageToolCall[] = this.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
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
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
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
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
