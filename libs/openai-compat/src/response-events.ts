import type { CompletionResult } from '@agents/chat';
import type {
  Response,
  ResponseError,
  ResponseOutputMessage,
  ResponseOutputText,
  ResponseStatus,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import type { GenerationEvent } from './generation-events';
import { OpenAIError, generationFailed, responseErrorCode } from './openai-error';

/**
 * A Responses API object as this service returns it: OpenAI's `Response` (the `openai` package's
 * type) plus what OpenAI's published schema and responses carry beyond it: `store` (in OpenAI's own
 * examples, though its schema leaves it undeclared) and `max_tool_calls` (declared there).
 */
export interface ResponseObject extends Response {
  store: boolean;
  max_tool_calls?: number | null;
}

/**
 * Request parameters a response object repeats as given (or as they applied), the way OpenAI's
 * do; the optional ones appear only when the request named them.
 */
export type ResponseEcho = Pick<
  ResponseObject,
  'metadata' | 'parallel_tool_calls' | 'tool_choice' | 'truncation' | 'text'
> &
  Partial<
    Pick<
      ResponseObject,
      | 'user'
      | 'safety_identifier'
      | 'prompt_cache_key'
      | 'prompt_cache_retention'
      | 'service_tier'
      | 'top_logprobs'
      | 'max_tool_calls'
      | 'reasoning'
    >
  >;

/** The request's settings echoed on the response object. */
export interface ResponseSettings {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The id of the agent that answers (the client may have named it by its name), as OpenAI echoes the model it resolved. */
  model: string;
  messageId: string;
  instructions: string | null;
  previousResponseId: string | null;
  temperature: number | null;
  topP: number | null;
  maxOutputTokens: number | null;
  store: boolean;
  echo: ResponseEcho;
}

/**
 * Builds OpenAI's Responses API objects and typed stream events from a generation's events:
 * `response.created`, `response.in_progress`, `response.output_item.added`,
 * `response.content_part.added`, `response.output_text.delta`…, `response.output_text.done`,
 * `response.content_part.done`, `response.output_item.done`, then `response.completed` (or
 * `response.failed`), each with a `sequence_number` increasing from 0.
 */
export class ResponseEvents {
  private sequence = 0;
  private text = '';
  private itemOpen = false;

  constructor(private readonly settings: ResponseSettings) {}

  /** The first two events, sent as soon as the generation is queued. */
  start(): ResponseStreamEvent[] {
    const response = this.snapshot('in_progress');
    return [
      { type: 'response.created', response, sequence_number: this.next() },
      { type: 'response.in_progress', response, sequence_number: this.next() },
    ];
  }

  /** The events a text delta becomes (the message item and its text part open with the first one). */
  delta(event: GenerationEvent): ResponseStreamEvent[] {
    if (event.type !== 'text') return []; // server-side tool calls are not surfaced as Responses items
    const events = this.openItem();
    this.text += event.text;
    events.push({
      type: 'response.output_text.delta',
      item_id: this.settings.messageId,
      output_index: 0,
      content_index: 0,
      delta: event.text,
      logprobs: [],
      sequence_number: this.next(),
    });
    return events;
  }

  /** The closing events and the final response object (completed, or incomplete when cut by max_output_tokens). */
  finish(result: CompletionResult): { events: ResponseStreamEvent[]; response: ResponseObject } {
    const events = this.openItem();
    const part = this.part();
    const item = this.item('completed');
    events.push(
      {
        type: 'response.output_text.done',
        item_id: this.settings.messageId,
        output_index: 0,
        content_index: 0,
        text: this.text,
        logprobs: [],
        sequence_number: this.next(),
      },
      {
        type: 'response.content_part.done',
        item_id: this.settings.messageId,
        output_index: 0,
        content_index: 0,
        part,
        sequence_number: this.next(),
      },
      { type: 'response.output_item.done', output_index: 0, item, sequence_number: this.next() },
    );
    const response = this.snapshot(result.finishReason === 'length' ? 'incomplete' : 'completed', result);
    events.push(
      response.status === 'incomplete'
        ? { type: 'response.incomplete', response, sequence_number: this.next() }
        : { type: 'response.completed', response, sequence_number: this.next() },
    );
    return { events, response };
  }

  /** The one terminal event of a failed generation; the error's code says whose the failure was. */
  fail(message: string, result?: CompletionResult): { events: ResponseStreamEvent[]; response: ResponseObject } {
    const response = this.snapshot('failed', result, { code: responseErrorCode(result?.failure), message });
    return { events: [{ type: 'response.failed', response, sequence_number: this.next() }], response };
  }

  /** The response object as it stands. */
  snapshot(status: ResponseStatus, result?: CompletionResult, error: ResponseError | null = null): ResponseObject {
    const s = this.settings;
    const output = this.itemOpen || status === 'completed' || status === 'incomplete' ? [this.item(status)] : [];
    const inputTokens = result?.usage?.promptTokens ?? 0;
    const outputTokens = result?.usage?.completionTokens ?? 0;
    return {
      id: s.id,
      object: 'response',
      created_at: s.createdAt,
      status,
      error,
      incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      instructions: s.instructions,
      max_output_tokens: s.maxOutputTokens,
      model: s.model,
      output,
      output_text: this.text,
      previous_response_id: s.previousResponseId,
      store: s.store,
      temperature: s.temperature,
      tools: [],
      top_p: s.topP,
      ...s.echo,
      usage:
        result === undefined
          ? undefined
          : {
              input_tokens: inputTokens,
              // Providers do not report prompt caching to the worker: nothing is known to be cached.
              input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
              output_tokens: outputTokens,
              output_tokens_details: { reasoning_tokens: 0 },
              total_tokens: inputTokens + outputTokens,
            },
    };
  }

  private openItem(): ResponseStreamEvent[] {
    if (this.itemOpen) return [];
    this.itemOpen = true;
    return [
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: this.item('in_progress'),
        sequence_number: this.next(),
      },
      {
        type: 'response.content_part.added',
        item_id: this.settings.messageId,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
        sequence_number: this.next(),
      },
    ];
  }

  private part(): ResponseOutputText {
    return { type: 'output_text', text: this.text, annotations: [], logprobs: [] };
  }

  private item(status: string): ResponseOutputMessage {
    return {
      id: this.settings.messageId,
      type: 'message',
      role: 'assistant',
      status: status === 'in_progress' ? 'in_progress' : status === 'completed' ? 'completed' : 'incomplete',
      content: status === 'in_progress' ? [] : [this.part()],
    };
  }

  private next(): number {
    return this.sequence++;
  }
}

/** What one generation event makes of a response: nothing, more stream events, or its end. */
export type ResponseStep =
  | { type: 'none' }
  | { type: 'progress'; events: ResponseStreamEvent[] }
  | {
      type: 'end';
      /** The closing stream events (`response.completed`, `.incomplete` or `.failed`). */
      events: ResponseStreamEvent[];
      /** The response object as it ended: what is stored and, without streaming, the answer. */
      response: ResponseObject;
      /** The answer's text, for the stored turn. */
      text: string;
      /** Set when the generation failed: the error a non-streaming request answers with. */
      error?: OpenAIError;
    };

/**
 * Folds a generation's events, in order, into the Responses API's output, knowing nothing of HTTP:
 * the opening events come first (with the first event, or when {@link open} is called, whichever
 * is earlier), then the deltas, then one end. Whoever holds the client writes the steps out.
 */
export class ResponseFold {
  private opened = false;
  private ended = false;

  constructor(private readonly builder: ResponseEvents) {}

  /** The opening events (`response.created`, `response.in_progress`) unless they were already given. */
  open(): ResponseStreamEvent[] {
    if (this.opened) return [];
    this.opened = true;
    return this.builder.start();
  }

  next(event: GenerationEvent): ResponseStep {
    if (this.ended) return { type: 'none' };
    switch (event.type) {
      case 'other':
        return { type: 'none' };
      case 'text':
      case 'tool_call': {
        const events = [...this.open(), ...this.builder.delta(event)];
        return events.length === 0 ? { type: 'none' } : { type: 'progress', events };
      }
      case 'final': {
        this.ended = true;
        const opening = this.open();
        const { events, response } = this.builder.finish(event.result);
        return { type: 'end', events: [...opening, ...events], response, text: event.result.text };
      }
      case 'error': {
        this.ended = true;
        const opening = this.open();
        const { events, response } = this.builder.fail(event.message, event.result);
        return {
          type: 'end',
          events: [...opening, ...events],
          response,
          text: event.result?.text ?? '',
          error: generationFailed(event.message, event.result?.failure),
        };
      }
    }
  }

  /** The end that replaces a response that could not be stored. */
  storeFailed(): Extract<ResponseStep, { type: 'end' }> {
    const message = 'The response could not be stored';
    const { events, response } = this.builder.fail(message);
    return { type: 'end', events, response, text: '', error: new OpenAIError(500, message, 'server_error', null) };
  }
}
