import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppConfig } from '@agents/core';
import { ChatProviderFactory, type ChatRequest, type TokenUsage } from '@agents/providers';
import { EVENT_BUS, type EventBus } from '@agents/streaming';
import { VersionsRepository, type AgentSnapshot } from '@agents/versions';
import {
  ConversationsRepository,
  MessagesRepository,
  streamEvents,
  type ConversationGenerationJob,
  type GenerationJob,
} from '@agents/chat';
import { UsageRecorder } from '@agents/usage';
import { whenRedisAvailable } from './redis-outage';

/**
 * What the model is told when asked for a conversation's title; the user's first message follows
 * as the one message. Fixed, whatever the agent's instructions: the title describes the message,
 * it is not the agent's answer to it.
 */
export const TITLE_INSTRUCTIONS =
  'Write a title for the conversation that begins with the user message below: at most 8 words, ' +
  'in the language of the message, with no quotes, no final period and nothing else. Do not answer the message.';

/** The most the model may write for a title. */
export const TITLE_MAX_TOKENS = 30;
/** Characters of the first message the title request carries. */
export const TITLE_SOURCE_CHARS = 2000;
/** The longest title kept, as long as a title the user gives (PATCH /api/convos/:id). */
const TITLE_MAX_CHARS = 200;

/** A title being generated beside an answer. */
export interface PendingTitle {
  /** The generated title once it is stored; null before, and for good when it failed or the user renamed. */
  storedTitle(): string | null;
}

/**
 * Names new conversations (docs/http-api.md § Chat): when the first message of a new conversation
 * is answered, the agent's provider and model are asked, beside the answer and never in its way,
 * for a title of a few words (a fixed prompt, no tools, {@link TITLE_MAX_TOKENS} tokens, within
 * TITLE_TIMEOUT_MS). The title replaces the one the conversation was created with (its first words)
 * only while that one is still there, so a user's rename always wins. A failure, a timeout or an
 * empty answer is logged and leaves the first words; the answer never waits for it nor fails with
 * it. What the call used is recorded as usage of its own (see {@link titleUsageId}).
 *
 * Titles still being asked for when the process stops are waited for (at most the timeout) before
 * the database and the event bus close.
 */
@Injectable()
export class ConversationTitler implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Titles');
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly config: AppConfig,
    private readonly versions: VersionsRepository,
    private readonly messages: MessagesRepository,
    private readonly conversations: ConversationsRepository,
    private readonly providers: ChatProviderFactory,
    private readonly usage: UsageRecorder,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  /**
   * Starts asking for the title of a new conversation whose first message `job` answers; null
   * (nothing asked) for any other job, or when TITLE_GENERATION is off.
   */
  begin(job: GenerationJob): PendingTitle | null {
    if (!this.config.titles.enabled || job.kind === 'completion' || job.fallbackTitle === undefined) return null;
    let stored: string | null = null;
    const run = this.generate(job, job.fallbackTitle, (title) => (stored = title));
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    return { storedTitle: () => stored };
  }

  /** Publishes a stored title on the conversation's stream; a failure is logged (the title is stored anyway). */
  async announce(streamId: string, conversationId: string, title: string): Promise<void> {
    await whenRedisAvailable(() => this.bus.publish(streamId, streamEvents.title(conversationId, title))).catch(
      (err: unknown) => this.logger.warn({ err, conversationId }, 'Could not publish a conversation title'),
    );
  }

  /** Resolves once no title is being asked for. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.idle();
  }

  /** Never rejects: whatever goes wrong leaves the conversation's first words as its title. */
  private async generate(
    job: ConversationGenerationJob,
    fallback: string,
    onStored: (title: string) => void,
  ): Promise<void> {
    const conversationId = job.conversationId;
    try {
      const [version, message] = await Promise.all([
        this.versions.find(job.agentId, job.agentVersion),
        this.messages.findById(job.userMessageId),
      ]);
      if (!version || !message) return;
      const agent = version.snapshot;
      const { text, usage } = await this.ask(agent, {
        model: agent.model,
        instructions: TITLE_INSTRUCTIONS,
        messages: [{ role: 'user', content: message.text.slice(0, TITLE_SOURCE_CHARS) }],
        parameters: { max_tokens: TITLE_MAX_TOKENS },
      });
      const title = cleanTitle(text);
      if (title === '') {
        this.logger.warn({ conversationId }, 'The model gave no title; the conversation keeps its first words');
      } else if (await this.conversations.replaceFallbackTitle(conversationId, fallback, title)) {
        onStored(title);
      }
      if (usage) await this.recordUsage(job, agent, usage);
    } catch (err) {
      this.logger.warn({ err, conversationId }, 'Could not generate a title; the conversation keeps its first words');
    }
  }

  /** One bounded model call, no tools: its text and what it reported using. */
  private async ask(agent: AgentSnapshot, request: ChatRequest): Promise<{ text: string; usage?: TokenUsage }> {
    const provider = this.providers.forAgent(agent.provider);
    const signal = AbortSignal.timeout(this.config.titles.timeoutMs);
    let text = '';
    let usage: TokenUsage | undefined;
    for await (const event of provider.stream(request, signal)) {
      if (event.type === 'text') text += event.text;
      else if (event.type === 'usage') {
        const { type: _type, ...counts } = event;
        usage = counts;
      }
    }
    return { text, usage };
  }

  private async recordUsage(job: ConversationGenerationJob, agent: AgentSnapshot, usage: TokenUsage): Promise<void> {
    await this.usage
      .record({
        id: titleUsageId(job.responseMessageId),
        userId: job.userId,
        apiKeyId: job.apiKeyId ?? null,
        agentId: job.agentId,
        agentVersion: job.agentVersion,
        provider: agent.provider,
        model: agent.model,
        usage,
        at: new Date(),
      })
      .catch((err: unknown) =>
        this.logger.error({ err, conversationId: job.conversationId }, 'Could not record the usage of a title'),
      );
  }
}

/**
 * The usage record id of the title asked for beside the answer `responseMessageId`: a UUID derived
 * from it (name-based, like a version 5 UUID), so the title has a record of its own and recording it
 * twice counts it once.
 */
export function titleUsageId(responseMessageId: string): string {
  const hex = createHash('sha256').update(`title:${responseMessageId}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A model's answer as a title: its first non-empty line, without a "Title:" label, surrounding
 * quotes or emphasis, or a final period, spaces collapsed, at most 200 characters. Empty when
 * nothing is left.
 */
export function cleanTitle(raw: string): string {
  const line =
    raw
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '') ?? '';
  const title = line
    .replace(/\s+/g, ' ')
    .replace(/^title\s*:\s*/i, '')
    .replace(/^["'“”‘’«»*_`#\s]+|["'“”‘’«»*_`\s]+$/gu, '')
    .replace(/[.。]+$/u, '')
    .trim();
  return [...title].slice(0, TITLE_MAX_CHARS).join('').trim();
}
