import type { ProviderFailureKind } from '@agents/providers';
import type { ChatMessageDto, ConversationDto } from './dto/conversation.dto';
import type { CompletionResult, GenerationUsage } from './generation-job';
import type { ContentPart, MessageAttachment } from './message.entity';

/*
 * The payloads of a generation stream (docs/http-api.md § Streams), in one place. The event bus
 * carries them as opaque JSON (libs/streaming is transport only); producers build them with
 * `streamEvents` so their shape is typed where it is made, and consumers read them back with
 * `readStreamEvent`, which validates what crossed the bus and names each payload by a `kind`.
 *
 * The wire format is LibreChat's and is kept as it is: the kinds are told apart by an `event`
 * literal, or by the presence of `created: true`, `final: true` or `error`. That is why the
 * payload types have no common tag of their own and the reader computes one.
 */

type ToolCall = Extract<ContentPart, { type: 'tool_call' }>['tool_call'];

/**
 * A run step: a message the text deltas build (`message_creation`: the answer opens with one, and
 * text after tool calls opens another), or one tool call the model makes (`tool_calls`). `index`
 * is the step's place in the answer's content parts.
 */
export type RunStep =
  | {
      id: string;
      index: number;
      type: 'message_creation';
      stepDetails: { type: 'message_creation'; message_creation: { message_id: string } };
    }
  | {
      id: string;
      index: number;
      type: 'tool_calls';
      stepDetails: { type: 'tool_calls'; tool_calls: { id: string; name: string; args: string; type: 'tool_call' }[] };
    };

/** What the `attachment` event carries: a tool's citations, image or resource, and whose it is. */
export type StreamAttachment = MessageAttachment;

/** One fragment of a tool call's arguments, as LibreChat streams them. */
export interface ToolCallFragment {
  /** Set on a call's first fragment; later fragments of the same step continue the last call. */
  id?: string;
  name?: string;
  args: string;
}

export interface CreatedPayload {
  created: true;
  message: ChatMessageDto;
  streamId: string;
}
export interface RunStepPayload {
  event: 'on_run_step';
  data: RunStep;
}
export interface MessageDeltaPayload {
  event: 'on_message_delta';
  data: { id: string; delta: { content: { type: 'text'; text: string }[] } };
}
export interface ReasoningDeltaPayload {
  event: 'on_reasoning_delta';
  data: { id: string; delta: { content: { type: 'think'; think: string }[] } };
}
export interface ToolCallDeltaPayload {
  event: 'on_run_step_delta';
  data: { id: string; delta: { type: 'tool_calls'; tool_calls: ToolCallFragment[] } };
}
export interface ToolResultPayload {
  event: 'on_run_step_completed';
  data: { result: { id: string; index: number; tool_call: ToolCall } };
}
export interface AttachmentPayload {
  event: 'attachment';
  data: StreamAttachment;
}
/**
 * The title the worker generated for a new conversation, published once it is stored (and only
 * before the terminal event): a client can show it without reading the conversation again.
 */
export interface TitlePayload {
  event: 'title';
  data: { conversationId: string; title: string };
}
/** The end of a conversation turn: what was stored, so a client can draw it as the database holds it. */
export interface ChatFinalPayload {
  final: true;
  conversation: ConversationDto | null;
  title: string | null;
  requestMessage: ChatMessageDto | null;
  responseMessage: ChatMessageDto;
  aborted?: true;
}
/** The end of a stateless completion (the OpenAI-compatible API): the whole result. */
export interface CompletionFinalPayload {
  final: true;
  completion: CompletionResult;
  aborted?: true;
}
export interface ErrorPayload {
  error: string;
  /** The failed answer as stored, when a conversation turn stored one. */
  responseMessage?: ChatMessageDto;
  /** A failed completion's result. */
  completion?: CompletionResult;
}

/** Every payload a generation stream carries. */
export type StreamEventPayload =
  | CreatedPayload
  | RunStepPayload
  | MessageDeltaPayload
  | ReasoningDeltaPayload
  | ToolCallDeltaPayload
  | ToolResultPayload
  | AttachmentPayload
  | TitlePayload
  | ChatFinalPayload
  | CompletionFinalPayload
  | ErrorPayload;

/** The builders every producer uses: each returns the exact wire shape of its payload. */
export const streamEvents = {
  created(message: ChatMessageDto, streamId: string): CreatedPayload {
    return { created: true, message, streamId };
  },
  runStep(stepId: string, responseMessageId: string, index = 0): RunStepPayload {
    return {
      event: 'on_run_step',
      data: {
        id: stepId,
        index,
        type: 'message_creation',
        stepDetails: { type: 'message_creation', message_creation: { message_id: responseMessageId } },
      },
    };
  },
  /** A tool call the model has begun: its arguments follow as `toolCallDelta`s, its output as `toolResult`. */
  toolStep(stepId: string, index: number, call: { id: string; name: string }): RunStepPayload {
    return {
      event: 'on_run_step',
      data: {
        id: stepId,
        index,
        type: 'tool_calls',
        stepDetails: {
          type: 'tool_calls',
          tool_calls: [{ id: call.id, name: call.name, args: '', type: 'tool_call' }],
        },
      },
    };
  },
  messageDelta(stepId: string, text: string): MessageDeltaPayload {
    return { event: 'on_message_delta', data: { id: stepId, delta: { content: [{ type: 'text', text }] } } };
  },
  reasoningDelta(stepId: string, think: string): ReasoningDeltaPayload {
    return { event: 'on_reasoning_delta', data: { id: stepId, delta: { content: [{ type: 'think', think }] } } };
  },
  toolCallDelta(stepId: string, calls: ToolCallFragment[]): ToolCallDeltaPayload {
    return { event: 'on_run_step_delta', data: { id: stepId, delta: { type: 'tool_calls', tool_calls: calls } } };
  },
  toolResult(stepId: string, index: number, toolCall: ToolCall): ToolResultPayload {
    return { event: 'on_run_step_completed', data: { result: { id: stepId, index, tool_call: toolCall } } };
  },
  attachment(data: StreamAttachment): AttachmentPayload {
    return { event: 'attachment', data };
  },
  title(conversationId: string, title: string): TitlePayload {
    return { event: 'title', data: { conversationId, title } };
  },
  final(turn: Omit<ChatFinalPayload, 'final' | 'aborted'>, aborted: boolean): ChatFinalPayload {
    return {
      final: true,
      conversation: turn.conversation,
      title: turn.title,
      requestMessage: turn.requestMessage,
      responseMessage: turn.responseMessage,
      ...(aborted ? { aborted: true } : {}),
    };
  },
  completionFinal(completion: CompletionResult, aborted: boolean): CompletionFinalPayload {
    return { final: true, completion, ...(aborted ? { aborted: true } : {}) };
  },
  error(
    message: string,
    detail: { responseMessage?: ChatMessageDto; completion?: CompletionResult } = {},
  ): ErrorPayload {
    return {
      error: message,
      ...(detail.completion !== undefined ? { completion: detail.completion } : {}),
      ...(detail.responseMessage !== undefined ? { responseMessage: detail.responseMessage } : {}),
    };
  },
} as const;

/**
 * A payload as read back from the bus, named by `kind`. Fields carry only what was validated; a
 * message that crossed the bus is typed as a {@link ChatMessageDto} only after {@link isChatMessage}.
 */
export type StreamPayload =
  | { kind: 'created'; message: unknown }
  /**
   * `step` is the run step as published (a resume snapshot repeats it as is); `toolCall` is the
   * call a `tool_calls` step announces.
   */
  | {
      kind: 'run_step';
      stepId: string;
      index: number;
      stepType: 'message_creation' | 'tool_calls';
      step: Record<string, unknown>;
      responseMessageId: string | null;
      toolCall?: { id: string; name: string };
    }
  | { kind: 'message_delta'; stepId: string; text: string }
  | { kind: 'reasoning_delta'; stepId: string; text: string }
  | { kind: 'tool_call_delta'; stepId: string; calls: ToolCallFragment[] }
  | { kind: 'tool_result'; stepId: string; index: number; toolCall: ToolCall }
  | { kind: 'attachment'; data: StreamAttachment }
  | { kind: 'title'; conversationId: string; title: string }
  | { kind: 'final'; aborted: boolean; completion?: CompletionResult; responseMessage?: ChatMessageDto }
  | { kind: 'error'; message: string; completion?: CompletionResult; responseMessage?: ChatMessageDto };

export type StreamPayloadKind = StreamPayload['kind'];

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

const stringOr = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

/**
 * Reads one payload that crossed the bus as JSON. Null for anything that is none of the stream's
 * payloads (or a delta with no part of its kind): consumers pass over it. An `error` wins over
 * `final`, and both over the rest, so a terminal payload is always read as terminal.
 */
export function readStreamEvent(payload: unknown): StreamPayload | null {
  if (!isObject(payload)) return null;
  if (typeof payload.error === 'string') {
    const completion = completionOf(payload.completion);
    const responseMessage = isChatMessage(payload.responseMessage) ? payload.responseMessage : undefined;
    return {
      kind: 'error',
      message: payload.error,
      ...(completion ? { completion } : {}),
      ...(responseMessage ? { responseMessage } : {}),
    };
  }
  if (payload.final === true) {
    const completion = completionOf(payload.completion);
    const responseMessage = isChatMessage(payload.responseMessage) ? payload.responseMessage : undefined;
    return {
      kind: 'final',
      aborted: payload.aborted === true,
      ...(completion ? { completion } : {}),
      ...(responseMessage ? { responseMessage } : {}),
    };
  }
  if (payload.created === true) return { kind: 'created', message: payload.message ?? null };
  if (typeof payload.event !== 'string' || !isObject(payload.data)) return null;
  const data = payload.data;
  const stepId = stringOr(data.id, '');
  const delta = isObject(data.delta) ? data.delta : {};
  const parts = Array.isArray(delta.content) ? delta.content.filter(isObject) : [];
  switch (payload.event) {
    case 'on_run_step': {
      const details = isObject(data.stepDetails) ? data.stepDetails : {};
      const index = typeof data.index === 'number' ? data.index : 0;
      if (data.type === 'tool_calls' || details.type === 'tool_calls') {
        const first = Array.isArray(details.tool_calls) ? details.tool_calls.find(isObject) : undefined;
        const toolCall =
          first && typeof first.id === 'string' && typeof first.name === 'string'
            ? { id: first.id, name: first.name }
            : undefined;
        return {
          kind: 'run_step',
          stepId,
          index,
          stepType: 'tool_calls',
          step: data,
          responseMessageId: null,
          ...(toolCall ? { toolCall } : {}),
        };
      }
      const creation = isObject(details.message_creation) ? details.message_creation : {};
      const messageId = typeof creation.message_id === 'string' ? creation.message_id : null;
      return {
        kind: 'run_step',
        stepId,
        index,
        stepType: 'message_creation',
        step: data,
        responseMessageId: messageId,
      };
    }
    case 'on_message_delta': {
      const texts = parts.map((part) => part.text).filter((text) => typeof text === 'string');
      return texts.length === 0 ? null : { kind: 'message_delta', stepId, text: texts.join('') };
    }
    case 'on_reasoning_delta': {
      const thoughts = parts.map((part) => part.think).filter((think) => typeof think === 'string');
      return thoughts.length === 0 ? null : { kind: 'reasoning_delta', stepId, text: thoughts.join('') };
    }
    case 'on_run_step_delta': {
      if (delta.type !== 'tool_calls' || !Array.isArray(delta.tool_calls)) return null;
      const calls = delta.tool_calls.filter(isObject).map((call): ToolCallFragment => ({
        ...(typeof call.id === 'string' ? { id: call.id } : {}),
        ...(typeof call.name === 'string' ? { name: call.name } : {}),
        // Arguments may arrive as an object from a vendor that parsed them: clients get text.
        args: typeof call.args === 'string' ? call.args : call.args === undefined ? '' : JSON.stringify(call.args),
      }));
      return { kind: 'tool_call_delta', stepId, calls };
    }
    case 'on_run_step_completed': {
      const result = isObject(data.result) ? data.result : {};
      const toolCall = toolCallOf(result.tool_call);
      if (!toolCall) return null;
      return {
        kind: 'tool_result',
        stepId: stringOr(result.id, ''),
        index: typeof result.index === 'number' ? result.index : -1,
        toolCall,
      };
    }
    case 'attachment': {
      const type = ATTACHMENT_TYPES.find((t) => t === data.type);
      if (!type || typeof data.toolCallId !== 'string' || typeof data.messageId !== 'string') return null;
      const conversationId = typeof data.conversationId === 'string' ? data.conversationId : null;
      return {
        kind: 'attachment',
        data: { ...data, type, toolCallId: data.toolCallId, messageId: data.messageId, conversationId },
      };
    }
    case 'title': {
      if (typeof data.conversationId !== 'string' || typeof data.title !== 'string') return null;
      return { kind: 'title', conversationId: data.conversationId, title: data.title };
    }
    default:
      return null;
  }
}

/**
 * A message as {@link ChatMessageDto.from} publishes it, checked field by field (it crossed the bus
 * as JSON, and a stream's log may be older than this code).
 */
export function isChatMessage(value: unknown): value is ChatMessageDto {
  return (
    isObject(value) &&
    typeof value.messageId === 'string' &&
    typeof value.conversationId === 'string' &&
    (value.parentMessageId === null || typeof value.parentMessageId === 'string') &&
    typeof value.sender === 'string' &&
    typeof value.isCreatedByUser === 'boolean' &&
    typeof value.text === 'string' &&
    Array.isArray(value.content) &&
    typeof value.unfinished === 'boolean' &&
    typeof value.error === 'boolean' &&
    typeof value.createdAt === 'string'
  );
}

function toolCallOf(value: unknown): ToolCall | undefined {
  if (!isObject(value)) return undefined;
  const { id, name, args, output } = value;
  if (typeof id !== 'string' || typeof name !== 'string' || typeof args !== 'string') return undefined;
  return { id, name, args, ...(typeof output === 'string' ? { output } : {}) };
}

/** A content part as stored: text, reasoning, or a tool call with its arguments and output. */
function isContentPart(value: unknown): value is ContentPart {
  if (!isObject(value)) return false;
  switch (value.type) {
    case 'text':
      return typeof value.text === 'string';
    case 'think':
      return typeof value.think === 'string';
    case 'tool_call':
      return toolCallOf(value.tool_call) !== undefined;
    default:
      return false;
  }
}

const ATTACHMENT_TYPES: readonly MessageAttachment['type'][] = ['citations', 'image', 'resource', 'file'];

const STATUSES: readonly CompletionResult['status'][] = ['completed', 'failed', 'aborted'];
/** Every failure kind: a Record, so that a kind added to the providers' type must be added here too. */
const FAILURE_KINDS: Record<ProviderFailureKind, true> = {
  auth: true,
  rate_limit: true,
  bad_request: true,
  unavailable: true,
  timeout: true,
  unsupported: true,
  unknown: true,
};
const isFailureKind = (value: unknown): value is ProviderFailureKind =>
  typeof value === 'string' && Object.hasOwn(FAILURE_KINDS, value);

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** `{[key]: n}` when the usage holds a count under `key`, else nothing. */
function countOf(usage: Record<string, unknown>, key: keyof GenerationUsage): Partial<GenerationUsage> {
  const value = usage[key];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? { [key]: value } : {};
}

/** A terminal payload's `completion`, read field by field; undefined when it has no status or text. */
function completionOf(c: unknown): CompletionResult | undefined {
  if (!isObject(c)) return undefined;
  const status = STATUSES.find((s) => s === c.status);
  if (!status || typeof c.text !== 'string') return undefined;
  const usage = isObject(c.usage) ? c.usage : undefined;
  const failure = isObject(c.failure) ? c.failure : undefined;
  const kind = isFailureKind(failure?.kind) ? failure.kind : undefined;
  const content = Array.isArray(c.content) ? (c.content as unknown[]).filter(isContentPart) : undefined;
  const attachments = Array.isArray(c.attachments)
    ? (c.attachments as unknown[]).flatMap((data) => {
        const read = readStreamEvent({ event: 'attachment', data });
        return read?.kind === 'attachment' ? [read.data] : [];
      })
    : undefined;
  return {
    status,
    text: c.text,
    ...(content ? { content } : {}),
    ...(attachments ? { attachments } : {}),
    finishReason: stringOrNull(c.finishReason),
    usage:
      usage && typeof usage.promptTokens === 'number' && typeof usage.completionTokens === 'number'
        ? {
            promptTokens: usage.promptTokens,
            completionTokens: usage.completionTokens,
            ...countOf(usage, 'reasoningTokens'),
            ...countOf(usage, 'cachedTokens'),
            ...countOf(usage, 'cacheWriteTokens'),
          }
        : null,
    model: stringOrNull(c.model),
    ...(typeof c.error === 'string' ? { error: c.error } : {}),
    ...(kind
      ? { failure: { kind, ...(typeof failure?.httpStatus === 'number' ? { httpStatus: failure.httpStatus } : {}) } }
      : {}),
  };
}
