import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '@agents/auth';
import { AppConfig } from '@agents/core';
import { ContextBudget } from '@agents/providers';
import { ChatCompletionChunks } from './chat-completion-chunks';
import { ClientWatch, CompletionGenerations } from './completion-generations';
import type { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { APPLIED_SERVICE_TIER } from './dto/shared-parameters.dto';
import type { GenerationEvent } from './generation-events';
import { OpenAIError, generationFailed } from './openai-error';
import { completionInputFrom, withinContextBudget } from './request-mapping';
import { SseStream, sendOpenAIError } from './sse-stream';

/**
 * `POST /api/agents/v1/chat/completions`: one generation through the worker, answered as one
 * `chat.completion` or streamed as `chat.completion.chunk` frames ending in `data: [DONE]`. A client
 * that disconnects before the answer is complete aborts the generation. The agent's tools run on the
 * server within the answer; only its text is sent (see ChatCompletionChunks).
 */
@Injectable()
export class ChatCompletionsService {
  constructor(
    private readonly generations: CompletionGenerations,
    private readonly config: AppConfig,
    private readonly budget: ContextBudget,
  ) {}

  async respond(user: AuthUser, dto: ChatCompletionRequestDto, res: Response): Promise<void> {
    const agent = await this.generations.usableAgent(user, dto.model);
    const includeUsage = dto.stream_options?.include_usage === true;
    if (dto.stream_options && dto.stream !== true) {
      throw OpenAIError.invalidRequest(
        "Invalid value for 'stream_options': stream_options is only allowed when stream is true.",
        'stream_options',
      );
    }
    const input = withinContextBudget(completionInputFrom(dto), agent.instructions, this.budget, 'messages');
    const chunks = new ChatCompletionChunks(
      {
        id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
        created: Math.floor(Date.now() / 1000),
        model: agent.id,
        ...(dto.service_tier != null ? { serviceTier: APPLIED_SERVICE_TIER } : {}),
      },
      includeUsage,
    );
    const sse = new SseStream(res, this.config.sseHeartbeatMs);
    const watch = new ClientWatch(res, () => sse.stop());

    const onEvent = (event: GenerationEvent): void => {
      if (watch.finished || watch.clientGone) return;
      if (event.type === 'answer') {
        const out = chunks.chunksFor(event.payload);
        if (dto.stream !== true || out.length === 0) return;
        if (!sse.opened) sse.send(chunks.roleChunk());
        for (const chunk of out) sse.send(chunk);
        return;
      }
      watch.finish();
      if (event.type === 'error') {
        const error = generationFailed(event.message, event.result?.failure);
        if (!sse.opened) sendOpenAIError(res, error);
        else {
          // After the first byte, a failure is one error event, then the stream closes (no [DONE]).
          sse.send(error.toBody());
          sse.end();
        }
        return;
      }
      if (dto.stream !== true) {
        res.status(200).json(chunks.completion(event.result));
        return;
      }
      if (!sse.opened) sse.send(chunks.roleChunk());
      sse.send(chunks.finishChunk(event.result));
      if (includeUsage) sse.send(chunks.usageChunk(event.result));
      sse.end(true);
    };

    watch.attach(await this.generations.start(user, agent, input, onEvent));
  }
}
