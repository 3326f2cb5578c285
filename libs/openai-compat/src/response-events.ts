import { ContentFold, type CompletionResult, type ContentPart } from '@agents/chat';
import type {
  Response,
  ResponseError,
  ResponseOutputItem,
  ResponseOutputText,
  ResponseStatus,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import type { AnswerEvent, GenerationEvent } from './generation-events';
import { OpenAIError, generationFailed, responseErrorCode } from './openai-error';
import {
  jsonObjectOf,
  openingMessageItem,
  outputItemId,
  outputItemsOf,
  outputTextOf,
  toolCallItem,
  toolItemTypeOf,
  type AnswerEnding,
  type ToolItemType,
  type ToolCall,
} from './response-items';

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
  /** What the ids of the output items carry (see outputItemId): the response is `resp_<itemKey>`. */
  itemKey: string;
  /**
   * The client reads the events (`stream: true`). Without, no event is made: the output is built
   * once, at the end, from the completion's result (its content parts).
   */
  streamed: boolean;
  instructions: string | null;
  previousResponseId: string | null;
  temperature: number | null;
  topP: number | null;
  maxOutputTokens: number | null;
  store: boolean;
  echo: ResponseEcho;
}

/** A response object at its end, and the answer's content parts it shows (for the stored turn). */
export interface FinishedResponse {
  events: ResponseStreamEvent[];
  response: ResponseObject;
  content: ContentPart[];
}

/** One output item the stream announced, at its `output_index`. */
interface StreamedItem {
  index: number;
  id: string;
  type: 'message' | ToolItemType;
  /** The run step of a tool call: its argument fragments and result name it. */
  stepId?: string;
  /** A tool call's arguments as streamed so far. */
  args: string;
  /** A tool call's arguments are complete: they parse as a JSON object, or its result came. */
  argsDone: boolean;
  /** A tool call's result came. */
  resultIn: boolean;
  /** `response.output_item.done` was sent. */
  done: boolean;
}

/** A completion's content parts: those of the result, or (a result of an older worker) its text. */
function contentOf(result: CompletionResult | undefined): ContentPart[] {
  if (result?.content) return result.content;
  return result?.text ? [{ type: 'text', text: result.text }] : [];
}

/**
 * Builds OpenAI's Responses API objects and typed stream events from a generation's events, each
 * event with a `sequence_number` increasing from 0: `response.created`, `response.in_progress`,
 * then the output items in order, then `response.completed` (`.incomplete`, or `.failed`).
 *
 * - A message: `response.output_item.added`, `response.content_part.added`,
 *   `response.output_text.delta`…, and when the model turns to a tool call (or the answer ends)
 *   `response.output_text.done`, `response.content_part.done`, `response.output_item.done`. Text
 *   after a tool call is a new message.
 * - A web search: `response.output_item.added`, `response.web_search_call.in_progress`,
 *   `.searching` (its arguments are complete), `.completed`, `response.output_item.done` — the last
 *   two once the model moves on, so the item carries the sources of the citations that follow its
 *   result.
 * - An image generation: `response.output_item.added`, `response.image_generation_call.in_progress`,
 *   `.generating` (its arguments are complete), then with its result `.completed` (unless it failed)
 *   and `response.output_item.done`. No `.partial_image`: the image is generated in one request,
 *   and its bytes are the call's file attachment, not part of the item (`result: null`).
 * - Any other tool call (`mcp_call`): `response.output_item.added`, `response.mcp_call.in_progress`,
 *   `response.mcp_call_arguments.delta`…, `.done`, then with its result `response.mcp_call.completed`
 *   (or `.failed`) and `response.output_item.done`.
 *
 * The calls of one model step finish in any order: each item's events carry its own `output_index`.
 * The answer is folded as the worker folds it (ContentFold), and every item a `.done` event or the
 * final response carries is built from that fold by `outputItemsOf`, the builder of a non-streamed
 * response: streamed and non-streamed output agree.
 */
export class ResponseEvents {
  private sequence = 0;
  private readonly fold = new ContentFold();
  private readonly items: StreamedItem[] = [];

  constructor(private readonly settings: ResponseSettings) {}

  /** The first two events, sent as soon as the generation is queued. */
  start(): ResponseStreamEvent[] {
    const response = this.snapshot('in_progress', []);
    return [
      { type: 'response.created', response, sequence_number: this.next() },
      { type: 'response.in_progress', response, sequence_number: this.next() },
    ];
  }

  /** The events one event of the answer becomes (none without streaming). */
  answer(event: AnswerEvent): ResponseStreamEvent[] {
    if (!this.settings.streamed) return [];
    // The model moves on only once the step's results and their attachments are all in.
    const events = event.kind === 'tool_result' || event.kind === 'attachment' ? [] : this.closeSearches();
    this.fold.apply(event);
    switch (event.kind) {
      case 'message_delta':
        events.push(...this.text(event.text));
        break;
      case 'run_step':
        if (event.stepType === 'tool_calls' && event.toolCall) {
          events.push(...this.openTool(event.stepId, event.toolCall));
        }
        break;
      case 'tool_call_delta':
        events.push(...this.toolArguments(event.stepId, event.calls.map((call) => call.args).join('')));
        break;
      case 'tool_result':
        events.push(...this.toolResult(event.stepId, event.toolCall));
        break;
      case 'reasoning_delta':
      case 'attachment':
        break;
    }
    return events;
  }

  /** The closing events and the final response object (completed, or incomplete when cut by max_output_tokens). */
  finish(result: CompletionResult): FinishedResponse {
    const ending = result.finishReason === 'length' ? 'incomplete' : 'completed';
    if (!this.settings.streamed) {
      const content = contentOf(result);
      const output = outputItemsOf(content, result.attachments ?? [], this.settings.itemKey, ending);
      return { events: [], response: this.snapshot(ending, output, result), content };
    }
    const events = this.closeSearches();
    // Calls that never got a result (the run ended first) end unfinished.
    for (const item of this.items) {
      if (item.type !== 'message' && !item.done) events.push(...this.closeTool(item, ending));
    }
    if (!this.items.some((item) => item.type === 'message')) this.openMessage(events);
    const last = this.items.at(-1);
    if (last?.type === 'message' && !last.done) events.push(...this.closeMessage(last, ending));
    const output = outputItemsOf(this.fold.content, this.fold.attachments, this.settings.itemKey, ending);
    const response = this.snapshot(ending, output, result);
    events.push(
      response.status === 'incomplete'
        ? { type: 'response.incomplete', response, sequence_number: this.next() }
        : { type: 'response.completed', response, sequence_number: this.next() },
    );
    return { events, response, content: this.fold.content };
  }

  /**
   * The one terminal event of a failed generation; the error's code says whose the failure was. The
   * output is the answer as far as it got.
   */
  fail(message: string, result?: CompletionResult): FinishedResponse {
    const content = this.settings.streamed ? this.fold.content : contentOf(result);
    const attachments = this.settings.streamed ? this.fold.attachments : (result?.attachments ?? []);
    const output = outputItemsOf(content, attachments, this.settings.itemKey, 'failed');
    const response = this.snapshot('failed', output, result, { code: responseErrorCode(result?.failure), message });
    return { events: [{ type: 'response.failed', response, sequence_number: this.next() }], response, content };
  }

  /** The response object with the given output. */
  private snapshot(
    status: ResponseStatus,
    output: ResponseOutputItem[],
    result?: CompletionResult,
    error: ResponseError | null = null,
  ): ResponseObject {
    const s = this.settings;
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
      output_text: outputTextOf(output),
      previous_response_id: s.previousResponseId,
      store: s.store,
      temperature: s.temperature,
      // The request's tools: none (the agent's own are not the client's to list).
      tools: [],
      top_p: s.topP,
      ...s.echo,
      usage:
        result === undefined
          ? undefined
          : {
              input_tokens: inputTokens,
              input_tokens_details: {
                cached_tokens: result.usage?.cachedTokens ?? 0,
                cache_write_tokens: result.usage?.cacheWriteTokens ?? 0,
              },
              output_tokens: outputTokens,
              output_tokens_details: { reasoning_tokens: result.usage?.reasoningTokens ?? 0 },
              total_tokens: inputTokens + outputTokens,
            },
    };
  }

  /** The item at `index` as the answer so far makes it. */
  private itemAt(index: number, ending: AnswerEnding): ResponseOutputItem {
    return outputItemsOf(this.fold.content, this.fold.attachments, this.settings.itemKey, ending)[index];
  }

  private add(type: StreamedItem['type'], stepId?: string): StreamedItem {
    const index = this.items.length;
    const item: StreamedItem = {
      index,
      id: outputItemId(this.settings.itemKey, type, index),
      type,
      ...(stepId !== undefined ? { stepId } : {}),
      args: '',
      argsDone: false,
      resultIn: false,
      done: false,
    };
    this.items.push(item);
    return item;
  }

  private text(text: string): ResponseStreamEvent[] {
    const events: ResponseStreamEvent[] = [];
    const last = this.items.at(-1);
    const message = last?.type === 'message' ? last : this.openMessage(events);
    events.push({
      type: 'response.output_text.delta',
      item_id: message.id,
      output_index: message.index,
      content_index: 0,
      delta: text,
      logprobs: [],
      sequence_number: this.next(),
    });
    return events;
  }

  /** Announces a new message (its item and its one text part) into `events`. */
  private openMessage(events: ResponseStreamEvent[]): StreamedItem {
    const message = this.add('message');
    events.push(
      {
        type: 'response.output_item.added',
        output_index: message.index,
        item: openingMessageItem(message.id),
        sequence_number: this.next(),
      },
      {
        type: 'response.content_part.added',
        item_id: message.id,
        output_index: message.index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
        sequence_number: this.next(),
      },
    );
    return message;
  }

  private closeMessage(message: StreamedItem, ending: AnswerEnding): ResponseStreamEvent[] {
    message.done = true;
    const item = this.itemAt(message.index, ending);
    const first = item.type === 'message' ? item.content[0] : undefined;
    const part: ResponseOutputText =
      first?.type === 'output_text' ? first : { type: 'output_text', text: '', annotations: [], logprobs: [] };
    return [
      {
        type: 'response.output_text.done',
        item_id: message.id,
        output_index: message.index,
        content_index: 0,
        text: part.text,
        logprobs: [],
        sequence_number: this.next(),
      },
      {
        type: 'response.content_part.done',
        item_id: message.id,
        output_index: message.index,
        content_index: 0,
        part,
        sequence_number: this.next(),
      },
      { type: 'response.output_item.done', output_index: message.index, item, sequence_number: this.next() },
    ];
  }

  /** Announces a tool call: the message before it is complete. */
  private openTool(stepId: string, call: { id: string; name: string }): ResponseStreamEvent[] {
    const last = this.items.at(-1);
    const events = last?.type === 'message' && !last.done ? this.closeMessage(last, 'in_progress') : [];
    const type = toolItemTypeOf(call.name);
    const tool = this.add(type, stepId);
    const base = { output_index: tool.index, item_id: tool.id };
    events.push({
      type: 'response.output_item.added',
      output_index: tool.index,
      item: toolCallItem(tool.id, { ...call, args: '' }, [], true),
      sequence_number: this.next(),
    });
    events.push(
      type === 'web_search_call'
        ? { type: 'response.web_search_call.in_progress', ...base, sequence_number: this.next() }
        : type === 'image_generation_call'
          ? { type: 'response.image_generation_call.in_progress', ...base, sequence_number: this.next() }
          : { type: 'response.mcp_call.in_progress', ...base, sequence_number: this.next() },
    );
    return events;
  }

  private toolArguments(stepId: string, args: string): ResponseStreamEvent[] {
    const tool = this.toolOfStep(stepId);
    if (!tool || tool.argsDone || args === '') return [];
    tool.args += args;
    const events: ResponseStreamEvent[] = [];
    if (tool.type === 'mcp_call') {
      events.push({
        type: 'response.mcp_call_arguments.delta',
        output_index: tool.index,
        item_id: tool.id,
        delta: args,
        sequence_number: this.next(),
      });
    }
    if (jsonObjectOf(tool.args)) events.push(...this.argumentsDone(tool, tool.args));
    return events;
  }

  private argumentsDone(tool: StreamedItem, args: string): ResponseStreamEvent[] {
    tool.argsDone = true;
    const base = { output_index: tool.index, item_id: tool.id };
    switch (tool.type) {
      case 'web_search_call':
        return [{ type: 'response.web_search_call.searching', ...base, sequence_number: this.next() }];
      case 'image_generation_call':
        return [{ type: 'response.image_generation_call.generating', ...base, sequence_number: this.next() }];
      case 'mcp_call':
        return [{ type: 'response.mcp_call_arguments.done', ...base, arguments: args, sequence_number: this.next() }];
      case 'message':
        return []; // a message has no arguments
    }
  }

  private toolResult(stepId: string, call: ToolCall): ResponseStreamEvent[] {
    const events: ResponseStreamEvent[] = [];
    let tool = this.toolOfStep(stepId);
    if (tool?.resultIn) return []; // a result sent twice: the item is done already
    if (!tool) {
      // A result whose step was never announced (a log older than tool steps): announced now.
      events.push(...this.openTool(stepId, call));
      tool = this.items[this.items.length - 1];
    }
    if (!tool.argsDone) events.push(...this.argumentsDone(tool, call.args));
    tool.resultIn = true;
    // A web search waits for its citations (see closeSearches); an image's item does not carry its file.
    if (tool.type !== 'web_search_call') events.push(...this.closeTool(tool, 'in_progress'));
    return events;
  }

  /** Ends the web searches whose results are in. */
  private closeSearches(): ResponseStreamEvent[] {
    return this.items
      .filter((item) => item.type === 'web_search_call' && item.resultIn && !item.done)
      .flatMap((item) => this.closeTool(item, 'in_progress'));
  }

  private closeTool(tool: StreamedItem, ending: AnswerEnding): ResponseStreamEvent[] {
    tool.done = true;
    const item = this.itemAt(tool.index, ending);
    const base = { output_index: tool.index, item_id: tool.id };
    const events: ResponseStreamEvent[] = [];
    if (item.type === 'mcp_call' && item.status === 'completed') {
      events.push({ type: 'response.mcp_call.completed', ...base, sequence_number: this.next() });
    } else if (item.type === 'mcp_call' && item.status === 'failed') {
      events.push({ type: 'response.mcp_call.failed', ...base, sequence_number: this.next() });
    } else if (item.type === 'web_search_call' && item.status === 'completed') {
      events.push({ type: 'response.web_search_call.completed', ...base, sequence_number: this.next() });
    } else if (item.type === 'image_generation_call' && item.status === 'completed') {
      // OpenAI defines no failed event for an image generation: a failed one ends with its item.
      events.push({ type: 'response.image_generation_call.completed', ...base, sequence_number: this.next() });
    }
    events.push({ type: 'response.output_item.done', output_index: tool.index, item, sequence_number: this.next() });
    return events;
  }

  /** The call of a run step: the last announced, as the fold keeps it. */
  private toolOfStep(stepId: string): StreamedItem | undefined {
    return this.items.findLast((item) => item.type !== 'message' && item.stepId === stepId);
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
      /** The answer's content parts (text, tool calls with their output), for the stored turn. */
      content: ContentPart[];
      /** Set when the generation failed: the error a non-streaming request answers with. */
      error?: OpenAIError;
    };

/**
 * Folds a generation's events, in order, into the Responses API's output, knowing nothing of HTTP:
 * the opening events come first (with the first event, or when {@link open} is called, whichever
 * is earlier), then the answer's, then one end. Whoever holds the client writes the steps out.
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
      case 'answer': {
        const events = [...this.open(), ...this.builder.answer(event.payload)];
        return events.length === 0 ? { type: 'none' } : { type: 'progress', events };
      }
      case 'final': {
        this.ended = true;
        const opening = this.open();
        const { events, response, content } = this.builder.finish(event.result);
        return { type: 'end', events: [...opening, ...events], response, content };
      }
      case 'error': {
        this.ended = true;
        const opening = this.open();
        const { events, response, content } = this.builder.fail(event.message, event.result);
        return {
          type: 'end',
          events: [...opening, ...events],
          response,
          content,
          error: generationFailed(event.message, event.result?.failure),
        };
      }
    }
  }

  /** The end that replaces a response that could not be stored. */
  storeFailed(): Extract<ResponseStep, { type: 'end' }> {
    const message = 'The response could not be stored';
    const { events, response } = this.builder.fail(message);
    return { type: 'end', events, response, content: [], error: new OpenAIError(500, message, 'server_error', null) };
  }
}
