import type { ChatMessage, ChatParameters, ProviderFailureKind, TokenUsage } from '@agents/providers';
import type { ContentPart, MessageAttachment } from './message.entity';

/** Fields every generation job carries, pinned at start time. */
interface GenerationJobBase {
  streamId: string;
  userId: string;
  agentId: string;
  /** The agent version current when the request arrived; later edits do not change this answer. */
  agentVersion: number;
  /** The answer's id; with the stream id it names the queue job. */
  responseMessageId: string;
  /** The API key the request authenticated with: its usage counts against the key too. */
  apiKeyId?: string;
}

/** The tokens a generation used, summed over its model calls (absent details were not reported). */
export type GenerationUsage = TokenUsage;

/**
 * A conversation turn (docs/http-api.md § Chat): the worker loads the thread from the database and
 * stores the answer. Jobs queued before `kind` existed have none and are conversation turns.
 */
export interface ConversationGenerationJob extends GenerationJobBase {
  kind?: 'conversation';
  conversationId: string;
  userMessageId: string;
  /**
   * Set on the first turn of a new conversation: the title it was created with (the message's first
   * words). The worker may replace it with a generated title, as long as it is still this one.
   */
  fallbackTitle?: string;
}

/**
 * A stateless completion (the OpenAI-compatible API, docs/http-api.md § OpenAI-compatible API): the
 * request's messages are the conversation, nothing is read from or written to
 * conversations/messages, and the terminal `final` event carries the whole result
 * ({@link CompletionResult}).
 */
export interface CompletionGenerationJob extends GenerationJobBase {
  kind: 'completion';
  messages: ChatMessage[];
  /** The request's system/developer text, appended to the agent's instructions (never replacing them). */
  extraInstructions?: string;
  /** Request parameters that override the agent's model_parameters, already validated to the same bounds. */
  overrides?: ChatParameters;
}

/** The payload of a `generation` queue job: everything the worker needs. */
export type GenerationJob = ConversationGenerationJob | CompletionGenerationJob;

/** What the terminal event of a completion job carries under `completion` (`final` or `error`). */
export interface CompletionResult {
  status: 'completed' | 'failed' | 'aborted';
  text: string;
  /**
   * The whole run as content parts (text, reasoning, the server-side tool calls with their output),
   * so a non-streamed answer can show its tool activity. Absent from results of older workers.
   */
  content?: ContentPart[];
  /** What the tools handed the user (citations, images, resources), as the `attachment` events carried them. */
  attachments?: MessageAttachment[];
  /** `stop`, `length`, `tool_calls`, `content_filter`, or `other` for a vendor value outside those. */
  finishReason: string | null;
  usage: GenerationUsage | null;
  /** The provider model that answered. */
  model: string | null;
  /** Why it failed, in words a user may read. */
  error?: string;
  /** Why it failed, classified, when a provider call failed it: the OpenAI-compatible API picks its status from it. */
  failure?: { kind: ProviderFailureKind; httpStatus?: number };
}

export const GENERATION_QUEUE = 'generation';
