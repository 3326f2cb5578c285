import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthUser } from '@agents/auth';
import { DatabaseService, NotFoundError } from '@agents/core';
import { GENERATION_STATE, type GenerationStateStore } from '@agents/streaming';
import { ChatFiles } from './chat-files';
import { ConversationsRepository } from './conversations.repository';
import { GenerationLauncher } from './generation-launcher';
import { IdempotencyRepository } from './idempotency.repository';

/** The abort reason a generation gets when its conversation is deleted. */
export const DELETED_ABORT = 'conversation deleted';

/**
 * Deleting one's conversations, so that nothing of them stays readable: a running generation is
 * aborted first (its stream ends with its terminal frame; the worker's store of the answer finds
 * the conversation gone and stores nothing), then in one transaction the conversations go with
 * their messages and ratings, the idempotency keys of the chat starts that answered with them,
 * and the files attached to them are detached (they stay the user's). Usage records stay: they
 * hold no content. Responses API exchanges are not linked to conversations and are not touched.
 */
@Injectable()
export class ConversationDeletionService {
  private readonly logger = new Logger('ConversationDeletion');

  constructor(
    private readonly db: DatabaseService,
    private readonly conversations: ConversationsRepository,
    private readonly idempotency: IdempotencyRepository,
    private readonly files: ChatFiles,
    private readonly launcher: GenerationLauncher,
    @Inject(GENERATION_STATE) private readonly state: GenerationStateStore,
  ) {}

  /** Deletes one of the caller's conversations; another's (or none) is a 404. */
  async remove(user: AuthUser, conversationId: string): Promise<void> {
    if (!(await this.conversations.findOwned(user.id, conversationId))) {
      throw new NotFoundError('Conversation not found');
    }
    const deleted = await this.deleteAborting(user, [conversationId], conversationId);
    if (deleted === 0) throw new NotFoundError('Conversation not found'); // deleted meanwhile
  }

  /** Deletes every conversation of the caller's; resolves how many. */
  async removeAll(user: AuthUser): Promise<number> {
    const running = await this.conversations.ownedAmong(user.id, await this.state.activeFor(user.id));
    return this.deleteAborting(user, running, null);
  }

  /**
   * Aborts the generations of `running`, deletes the conversation `id` (all of the user's when null)
   * and what goes with it, then aborts any generation of a deleted conversation that started
   * meanwhile (its answer would be stored nowhere anyway). Resolves how many conversations went.
   */
  private async deleteAborting(user: AuthUser, running: readonly string[], id: string | null): Promise<number> {
    const aborted = new Set<string>();
    for (const streamId of await this.runningAmong(user, running)) {
      await this.launcher.abort(streamId, DELETED_ABORT);
      aborted.add(streamId);
    }
    const deleted = await this.db.transaction(async (m) => {
      const ids = await this.conversations.deleteOwned(m, user.id, id);
      await this.idempotency.deleteForConversations(m, user.id, ids);
      await this.files.detach(user.id, ids, m);
      return ids;
    });
    const late = (await this.runningAmong(user, deleted)).filter((streamId) => !aborted.has(streamId));
    for (const streamId of late) {
      await this.launcher.abort(streamId, DELETED_ABORT).catch((err: unknown) => {
        this.logger.warn({ err, streamId }, 'Could not abort the generation of a deleted conversation');
      });
    }
    return deleted.length;
  }

  /** The stream ids among `conversationIds` whose generation is running now. */
  private async runningAmong(user: AuthUser, conversationIds: readonly string[]): Promise<string[]> {
    if (conversationIds.length === 0) return [];
    const active = new Set(await this.state.activeFor(user.id));
    return conversationIds.filter((id) => active.has(id));
  }
}
