import { Injectable, Logger } from '@nestjs/common';
import type { Response as ExpressResponse } from 'express';
import { randomUUID } from 'node:crypto';
import type { Response } from 'openai/resources/responses/responses';
import type { AuthUser } from '@agents/auth';
import type { CompletionResult } from '@agents/chat';
import { AppConfig } from '@agents/core';
import type { ChatMessage } from '@agents/providers';
import { ClientWatch, CompletionGenerations } from './completion-generations';
import { MAX_MESSAGES } from './dto/chat-completion-request.dto';
import type { CreateResponseDto } from './dto/create-response.dto';
import type { GenerationEvent } from './generation-events';
import { OpenAIError, generationFailed } from './openai-error';
import { definedOnly, joinInstructions, responseInputFrom } from './request-mapping';
import { ResponseEntity } from './response.entity';
import { ResponseEvents } from './response-events';
import { ResponsesRepository } from './responses.repository';
import { SseStream, sendOpenAIError } from './sse-stream';

const hex = (): string => randomUUID().replace(/-/g, '');

function responseNotFound(id: string, param: string | null): OpenAIError {
  return new OpenAIError(404, `Response with id '${id}' not found.`, 'invalid_request_error', 'not_found', param);
}

/**
 * `POST /api/agents/v1/responses` (OpenAI's Responses API, beyond LibreChat) over the same worker
 * and event bus as chat. With `store` (the default, as at OpenAI) the exchange is saved — before
 * the terminal event or answer goes out, so a GET right after it finds it — and
 * `previous_response_id` continues the saved conversation. Only the owner can read or continue it.
 */
@Injectable()
export class ResponsesService {
  private readonly logger = new Logger('Responses');

  constructor(
    private readonly generations: CompletionGenerations,
    private readonly responses: ResponsesRepository,
    private readonly config: AppConfig,
  ) {}

  async get(user: AuthUser, id: string): Promise<Record<string, unknown>> {
    const stored = await this.responses.findOwned(user.id, id);
    if (!stored) throw responseNotFound(id, null);
    return stored.body;
  }

  async respond(user: AuthUser, dto: CreateResponseDto, res: ExpressResponse): Promise<void> {
    const agent = await this.generations.usableAgent(user, dto.model);
    let history: ChatMessage[] = [];
    if (dto.previous_response_id !== undefined) {
      const previous = await this.responses.findOwned(user.id, dto.previous_response_id);
      if (!previous) throw responseNotFound(dto.previous_response_id, 'previous_response_id');
      history = previous.conversation;
    }
    const input = responseInputFrom(dto.input);
    const messages = [...history, ...input.messages];
    if (messages.length > MAX_MESSAGES) {
      throw OpenAIError.invalidRequest(
        `Invalid 'previous_response_id': the conversation would exceed ${MAX_MESSAGES} messages; start a new one.`,
        'previous_response_id',
        'context_length_exceeded',
      );
    }
    const store = dto.store !== false;
    const builder = new ResponseEvents({
      id: `resp_${hex()}`,
      createdAt: Math.floor(Date.now() / 1000),
      model: dto.model,
      messageId: `msg_${hex()}`,
      instructions: dto.instructions ?? null,
      previousResponseId: dto.previous_response_id ?? null,
      temperature: dto.temperature ?? null,
      topP: dto.top_p ?? null,
      maxOutputTokens: dto.max_output_tokens ?? null,
      store,
    });
    const streaming = dto.stream === true;
    const sse = new SseStream(res, this.config.sseHeartbeatMs);
    /** Events that arrive before the first two are out wait here. */
    const early: GenerationEvent[] = [];
    let ready = false;
    const watch = new ClientWatch(res, () => sse.stop());

    const save = async (response: Response, text: string): Promise<void> => {
      if (!store) return;
      await this.responses.insert(
        Object.assign(new ResponseEntity(), {
          id: response.id,
          userId: user.id,
          agentId: agent.id,
          status: response.status ?? 'completed',
          body: response as unknown as Record<string, unknown>,
          conversation: [...messages, { role: 'assistant', content: text }],
          createdAt: new Date(response.created_at * 1000),
        }),
      );
    };

    const end = async (event: Extract<GenerationEvent, { type: 'final' | 'error' }>): Promise<void> => {
      const result: CompletionResult | undefined = event.result;
      const outcome = event.type === 'final' ? builder.finish(event.result) : builder.fail(event.message, result);
      try {
        await save(outcome.response, result?.text ?? '');
      } catch (err) {
        this.logger.error({ err, responseId: outcome.response.id }, 'Could not store a response');
        const failure = builder.fail('The response could not be stored');
        if (streaming) {
          for (const e of failure.events) sse.send(e, e.type);
          sse.end();
        } else sendOpenAIError(res, new OpenAIError(500, 'The response could not be stored', 'server_error', null));
        return;
      }
      if (!streaming) {
        if (event.type === 'error') sendOpenAIError(res, generationFailed(event.message, result?.failure));
        else res.status(200).json(outcome.response);
        return;
      }
      for (const e of outcome.events) sse.send(e, e.type);
      sse.end();
    };

    const handle = (event: GenerationEvent): void => {
      if (watch.finished || watch.clientGone || event.type === 'other') return;
      if (!ready) {
        early.push(event);
        return;
      }
      if (event.type === 'text' || event.type === 'tool_call') {
        const out = builder.delta(event);
        if (streaming) for (const e of out) sse.send(e, e.type);
        return;
      }
      watch.finish();
      void end(event);
    };

    const running = await this.generations.start(
      user,
      agent,
      {
        messages,
        extraInstructions: joinInstructions([dto.instructions ?? '', ...input.system]),
        overrides: definedOnly({
          temperature: dto.temperature,
          top_p: dto.top_p,
          max_tokens: dto.max_output_tokens,
          reasoning_effort: dto.reasoning?.effort,
        }),
      },
      handle,
    );
    if (!watch.attach(running)) return;
    if (streaming) for (const e of builder.start()) sse.send(e, e.type);
    ready = true;
    for (const event of early.splice(0)) handle(event);
  }
}
