import { Injectable, Logger } from '@nestjs/common';
import type { Response as ExpressResponse } from 'express';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '@agents/auth';
import { ChatFiles, type ContentPart } from '@agents/chat';
import { AppConfig } from '@agents/core';
import { ContextBudget, messageChars, type ChatMessage } from '@agents/providers';
import { ClientWatch, CompletionGenerations } from './completion-generations';
import { historyOfAnswer } from './conversation-history';
import { MAX_MESSAGES } from './dto/chat-completion-request.dto';
import type { CreateResponseDto } from './dto/create-response.dto';
import { OpenAIError } from './openai-error';
import {
  conversationFrom,
  definedOnly,
  joinInstructions,
  resolveInputFiles,
  responseInputFrom,
  storedItemEntries,
  withinContextBudget,
  type ResponseInputEntry,
} from './request-mapping';
import { ResponseEntity } from './response.entity';
import {
  ResponseEvents,
  ResponseFold,
  type ResponseEcho,
  type ResponseObject,
  type ResponseStep,
} from './response-events';
import { JsonResponseWriter, StreamedResponseWriter, type ResponseWriter } from './response-writers';
import { APPLIED_SERVICE_TIER } from './dto/shared-parameters.dto';
import { ResponsesRepository } from './responses.repository';
import { SseStream } from './sse-stream';

const hex = (): string => randomUUID().replace(/-/g, '');

type ResponseEnd = Extract<ResponseStep, { type: 'end' }>;

/** What storing one exchange needs to know of its request. */
interface StoredTurn {
  userId: string;
  agentId: string;
  /** This turn's input messages (the conversation before it is reached through previous_response_id). */
  input: ChatMessage[];
  dto: CreateResponseDto;
  store: boolean;
}

function responseNotFound(id: string, param: string | null): OpenAIError {
  return new OpenAIError(404, `Response with id '${id}' not found.`, 'invalid_request_error', 'not_found', param);
}

/**
 * OpenAI's schema requires `usage.input_tokens_details.cache_write_tokens`; responses stored before
 * it was sent lack it, and nothing was written to a cache then either.
 */
function withCacheWriteTokens(response: ResponseObject): ResponseObject {
  const usage = response.usage;
  if (!usage || usage.input_tokens_details.cache_write_tokens !== undefined) return response;
  return {
    ...response,
    usage: { ...usage, input_tokens_details: { ...usage.input_tokens_details, cache_write_tokens: 0 } },
  };
}

/** What the response object repeats of the request, as OpenAI's does. */
function echoOf(dto: CreateResponseDto, truncation: 'auto' | 'disabled'): ResponseEcho {
  const verbosity = dto.text?.verbosity;
  const reasoning = dto.reasoning;
  return {
    metadata: dto.metadata ?? {},
    parallel_tool_calls: dto.parallel_tool_calls ?? true,
    tool_choice: dto.tool_choice ?? 'auto',
    truncation,
    text: { format: { type: 'text' }, ...(verbosity ? { verbosity } : {}) },
    ...(dto.user !== undefined ? { user: dto.user } : {}),
    ...(dto.safety_identifier != null ? { safety_identifier: dto.safety_identifier } : {}),
    ...(dto.prompt_cache_key != null ? { prompt_cache_key: dto.prompt_cache_key } : {}),
    ...(dto.prompt_cache_retention != null ? { prompt_cache_retention: dto.prompt_cache_retention } : {}),
    ...(dto.service_tier != null ? { service_tier: APPLIED_SERVICE_TIER } : {}),
    ...(dto.top_logprobs != null ? { top_logprobs: dto.top_logprobs } : {}),
    ...(dto.max_tool_calls != null ? { max_tool_calls: dto.max_tool_calls } : {}),
    ...(reasoning
      ? {
          reasoning: {
            effort: reasoning.effort ?? null,
            summary: reasoning.summary ?? reasoning.generate_summary ?? null,
          },
        }
      : {}),
  };
}

/**
 * The newest {@link MAX_MESSAGES} messages of a conversation, starting at a user message: a long
 * chain of short turns is cut oldest-first like any history over the context budget.
 */
function newestMessages(messages: ChatMessage[]): ChatMessage[] {
  if (messages.length <= MAX_MESSAGES) return messages;
  const newest = messages.slice(-MAX_MESSAGES);
  const firstQuestion = newest.findIndex((m) => m.role === 'user');
  return firstQuestion > 0 ? newest.slice(firstQuestion) : newest;
}

/**
 * `POST /api/agents/v1/responses` (OpenAI's Responses API, beyond LibreChat) over the same worker
 * and event bus as chat. With `store` (the default, as at OpenAI) the exchange is saved — before
 * the terminal event or answer goes out, so a GET right after it finds it — and
 * `previous_response_id` continues the saved conversation. Only the owner can read or continue it.
 * Each stored response keeps only its own turn and the id of the response it continued. The agent's
 * server-side tools show as OpenAI's hosted-tool items (`web_search_call`, `mcp_call`; see
 * ResponseEvents), and a stored turn keeps the calls and their results, so a continued conversation
 * gives the model what the tools found.
 */
@Injectable()
export class ResponsesService {
  private readonly logger = new Logger('Responses');

  constructor(
    private readonly generations: CompletionGenerations,
    private readonly responses: ResponsesRepository,
    private readonly config: AppConfig,
    private readonly budget: ContextBudget,
    private readonly files: ChatFiles,
  ) {}

  async get(user: AuthUser, id: string): Promise<ResponseObject> {
    const stored = await this.responses.findOwned(user.id, id);
    if (!stored) throw responseNotFound(id, null);
    return withCacheWriteTokens(stored.body);
  }

  /**
   * The input's messages, `item_reference`s replaced by the items they name (a message, or a tool
   * call with its result). Only output items of the caller's own stored responses can be named; any
   * other id is a 404, as at OpenAI.
   */
  private async conversationOf(
    user: AuthUser,
    entries: ResponseInputEntry[],
  ): Promise<{ messages: ChatMessage[]; system: string[] }> {
    const references = entries.filter((e) => e.type === 'item_reference');
    const items = await this.responses.findOwnedOutputItems(
      user.id,
      references.map((r) => r.id),
    );
    const resolved = new Map<string, ResponseInputEntry[]>();
    for (const reference of references) {
      const named = storedItemEntries(items.get(reference.id), reference.param);
      if (named === undefined) {
        throw new OpenAIError(
          404,
          `Item with id '${reference.id}' not found.`,
          'invalid_request_error',
          'not_found',
          reference.param,
        );
      }
      resolved.set(reference.id, named);
    }
    return conversationFrom(entries, resolved);
  }

  async respond(user: AuthUser, dto: CreateResponseDto, res: ExpressResponse): Promise<void> {
    const agent = await this.generations.usableAgent(user, dto.model);
    let history: ChatMessage[] = [];
    // null is "not given", as everywhere in OpenAI's API.
    if (dto.previous_response_id !== undefined && dto.previous_response_id !== null) {
      // Read back no further than the context budget: anything older would not be sent.
      const previous = await this.responses.conversationEndingAt(user.id, dto.previous_response_id, this.budget.chars);
      if (!previous) throw responseNotFound(dto.previous_response_id, 'previous_response_id');
      history = previous;
    }
    const entries = await resolveInputFiles(responseInputFrom(dto.input), user.id, this.files);
    const input = await this.conversationOf(user, entries);
    const conversation = [...history, ...input.messages];
    const completion = withinContextBudget(
      {
        messages: newestMessages(conversation),
        extraInstructions: joinInstructions([dto.instructions ?? '', ...input.system]),
        overrides: definedOnly({
          temperature: dto.temperature,
          top_p: dto.top_p,
          max_tokens: dto.max_output_tokens,
          reasoning_effort: dto.reasoning?.effort,
          verbosity: dto.text?.verbosity,
        }),
      },
      agent.instructions,
      this.budget,
      'input',
    );
    const truncation = dto.truncation ?? 'auto';
    // Cutting only ever drops the oldest messages, so a shorter conversation is a cut one.
    if (truncation === 'disabled' && completion.messages.length < conversation.length) {
      throw OpenAIError.invalidRequest(
        `The conversation is over this model's context budget of ${this.budget.chars} characters and ` +
          "truncation is 'disabled'. Send a shorter input, or set truncation to 'auto' to have the oldest turns left out.",
        'input',
        'context_length_exceeded',
      );
    }
    const store = dto.store !== false;
    // The output items share their response's key, so an item_reference to one finds its response by key.
    const key = hex();
    const builder = new ResponseEvents({
      id: `resp_${key}`,
      createdAt: Math.floor(Date.now() / 1000),
      model: agent.id,
      itemKey: key,
      streamed: dto.stream === true,
      instructions: dto.instructions ?? null,
      previousResponseId: dto.previous_response_id ?? null,
      temperature: dto.temperature ?? null,
      topP: dto.top_p ?? null,
      maxOutputTokens: dto.max_output_tokens ?? null,
      store,
      echo: echoOf(dto, truncation),
    });
    const fold = new ResponseFold(builder);
    const sse = new SseStream(res, this.config.sseHeartbeatMs);
    const writer: ResponseWriter = dto.stream === true ? new StreamedResponseWriter(sse) : new JsonResponseWriter(res);
    const watch = new ClientWatch(res, () => sse.stop());
    const turn: StoredTurn = { userId: user.id, agentId: agent.id, input: input.messages, dto, store };

    const running = await this.generations.start(user, agent, completion, (event) => {
      if (watch.finished || watch.clientGone) return;
      const step = fold.next(event);
      switch (step.type) {
        case 'none':
          return;
        case 'progress':
          writer.progress(step.events);
          return;
        case 'end':
          watch.finish();
          void this.end(step, turn, fold, writer);
          return;
      }
    });
    if (!watch.attach(running)) return;
    // The opening events go out at once, unless the first event already carried them.
    writer.progress(fold.open());
  }

  /** Stores the exchange (with `store`), then writes the end; one that cannot be stored ends as a failure. */
  private async end(step: ResponseEnd, turn: StoredTurn, fold: ResponseFold, writer: ResponseWriter): Promise<void> {
    try {
      if (turn.store) await this.save(turn, step.response, step.content);
    } catch (err) {
      this.logger.error({ err, responseId: step.response.id }, 'Could not store a response');
      writer.end(fold.storeFailed());
      return;
    }
    writer.end(step);
  }

  /** Stores the turn with the answer as the model made it (its tool calls and their results too), for previous_response_id. */
  private async save(turn: StoredTurn, response: ResponseObject, answer: ContentPart[]): Promise<void> {
    const messages: ChatMessage[] = [...turn.input, ...historyOfAnswer(answer)];
    await this.responses.insert(
      Object.assign(new ResponseEntity(), {
        id: response.id,
        userId: turn.userId,
        agentId: turn.agentId,
        status: response.status ?? 'completed',
        body: response,
        // Only this turn: the conversation before it is reached through previousResponseId.
        previousResponseId: turn.dto.previous_response_id ?? null,
        messages,
        chars: messages.reduce((sum, m) => sum + messageChars(m), 0),
        conversation: null,
        createdAt: new Date(response.created_at * 1000),
      }),
    );
  }
}
