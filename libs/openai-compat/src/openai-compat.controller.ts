import { applyDecorators, Body, Controller, Get, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { AcceptsApiKey, CurrentUser, type AuthUser } from '@agents/auth';
import { ChatAvailabilityGuard } from '@agents/chat';
import { ChatCompletionsService } from './chat-completions.service';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { CreateResponseDto } from './dto/create-response.dto';
import { ModelDto, ModelListDto } from './dto/model.dto';
import { ModelsService } from './models.service';
import { OpenAIBodyPipe } from './openai-body.pipe';
import { OpenAIRateLimitGuard } from './rate-limiter';
import type { ResponseObject } from './response-events';
import { ResponsesService } from './responses.service';

/** Documents OpenAI's error envelope for the statuses these routes answer. */
const ApiOpenAIErrors = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ...(
      [
        [
          400,
          'invalid_request_error: `param` names the bad parameter (`unsupported_parameter`, `unknown_parameter`, ' +
            '`model_ambiguous` when a model name fits several agents)',
        ],
        [401, 'invalid_api_key: missing, invalid, expired or deleted key/token'],
        [403, 'permission_error: the caller may see the agent but not USE it'],
        [404, 'model_not_found: no agent with this id (or name) that the caller may see'],
        [429, 'rate_limit_exceeded: per-key rate or concurrent generations; see Retry-After and retry-after-ms'],
        [503, 'service_unavailable: Redis or the database is down'],
      ] as const
    ).map(([status, description]) =>
      ApiResponse({ status, description: `OpenAI's envelope {error: {message, type, code, param}}: ${description}` }),
    ),
  );

/**
 * The OpenAI-compatible API (docs/http-api.md § OpenAI-compatible API): `model` is an agent id.
 * Reachable with an API key (`Authorization: Bearer sk-…`) or a JWT; errors use OpenAI's envelope.
 * Bodies are typed `Readonly<…>` so the global pipe leaves them to OpenAIBodyPipe, which answers
 * OpenAI-style.
 */
@ApiTags('openai-compatible')
@ApiBearerAuth('api-key')
@ApiBearerAuth()
@ApiOpenAIErrors()
@AcceptsApiKey()
@UseGuards(ChatAvailabilityGuard, OpenAIRateLimitGuard) // 503 at once while Redis is down, then the rate limit
@Controller('agents/v1')
export class OpenAICompatController {
  constructor(
    private readonly models: ModelsService,
    private readonly completions: ChatCompletionsService,
    private readonly responses: ResponsesService,
  ) {}

  @Get('models')
  @ApiOperation({ summary: 'The agents the caller may USE, as OpenAI models (at most 1000, newest first)' })
  @ApiOkResponse({ type: ModelListDto })
  listModels(@CurrentUser() user: AuthUser): Promise<ModelListDto> {
    return this.models.list(user);
  }

  @Get('models/:id')
  @ApiOperation({ summary: 'One agent the caller may USE, as an OpenAI model' })
  @ApiOkResponse({ type: ModelDto })
  getModel(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<ModelDto> {
    return this.models.get(user, id);
  }

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Chat completion with an agent',
    description:
      'A `chat.completion`, or with `stream: true` `chat.completion.chunk` frames ending in `data: [DONE]`. ' +
      'System messages are appended to the agent instructions; a client that disconnects aborts the generation.',
  })
  @ApiBody({ type: ChatCompletionRequestDto })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: 'A chat.completion object, or an SSE stream of chat.completion.chunk' })
  createChatCompletion(
    @CurrentUser() user: AuthUser,
    @Body(new OpenAIBodyPipe(ChatCompletionRequestDto)) body: Readonly<ChatCompletionRequestDto>,
    @Res() res: Response,
  ): Promise<void> {
    return this.completions.respond(user, body, res);
  }

  @Post('responses')
  @HttpCode(200)
  @ApiOperation({
    summary: "OpenAI's Responses API with an agent (beyond)",
    description:
      'With `stream: true`, typed events (`response.created` … `response.completed`) each with a `sequence_number`. ' +
      '`store` (default true) saves the exchange for `previous_response_id` and GET.',
  })
  @ApiBody({ type: CreateResponseDto })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: 'A response object, or an SSE stream of response events' })
  createResponse(
    @CurrentUser() user: AuthUser,
    @Body(new OpenAIBodyPipe(CreateResponseDto)) body: Readonly<CreateResponseDto>,
    @Res() res: Response,
  ): Promise<void> {
    return this.responses.respond(user, body, res);
  }

  @Get('responses/:id')
  @ApiOperation({ summary: 'A stored response of the caller' })
  @ApiOkResponse({ description: 'The response object as it was returned' })
  getResponse(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<ResponseObject> {
    return this.responses.get(user, id);
  }
}
