import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@agents/auth';
import { ValidationFailedError, toPage, type Page } from '@agents/core';
import { ConversationDto } from '../dto/conversation.dto';
import type { ConversationSearchHitDto, MessageSearchHitDto } from '../dto/search.dto';
import { decodeSearchCursor, encodeSearchCursor } from './search-cursor';
import { SearchRepository } from './search.repository';

interface SearchQuery {
  search: string;
  limit: number;
  cursor?: string;
}

const EMPTY_PAGE = { object: 'list', data: [], first_id: null, last_id: null, has_more: false, after: null } as const;

/**
 * Full-text search over the caller's own messages and conversations (docs/http-api.md § Search).
 * A search of stop words or punctuation only has nothing to look for and finds nothing; one made
 * of excluded words only (`-word`) would match almost everything and is refused (400).
 */
@Injectable()
export class SearchService {
  constructor(private readonly search: SearchRepository) {}

  async messages(user: AuthUser, query: SearchQuery): Promise<Page<MessageSearchHitDto>> {
    const after = query.cursor === undefined ? undefined : decodeSearchCursor(query.search, query.cursor);
    if (!(await this.searchable(query.search))) return { ...EMPTY_PAGE, data: [] };
    const rows = await this.search.messages(user.id, query.search, query.limit, after);
    return toPage(
      rows,
      query.limit,
      (m) => ({
        messageId: m.id,
        conversationId: m.conversationId,
        title: m.title,
        sender: m.sender,
        isCreatedByUser: m.isCreatedByUser,
        createdAt: m.createdAt.toISOString(),
        snippet: m.snippet,
      }),
      (m) => m.id,
      (m) => encodeSearchCursor(query.search, { rank: m.rank, at: m.createdAt, id: m.id }),
    );
  }

  async conversations(user: AuthUser, query: SearchQuery): Promise<Page<ConversationSearchHitDto>> {
    const after = query.cursor === undefined ? undefined : decodeSearchCursor(query.search, query.cursor);
    if (!(await this.searchable(query.search))) return { ...EMPTY_PAGE, data: [] };
    const rows = await this.search.conversations(user.id, query.search, query.limit, after);
    return toPage(
      rows,
      query.limit,
      (hit) => ({ ...ConversationDto.from(hit.conversation), messageId: hit.messageId, snippet: hit.snippet }),
      (hit) => hit.conversation.id,
      (hit) =>
        encodeSearchCursor(query.search, { rank: hit.rank, at: hit.conversation.updatedAt, id: hit.conversation.id }),
    );
  }

  /** False when the search has no words to look for; a 400 when it only excludes words. */
  private async searchable(search: string): Promise<boolean> {
    const shape = await this.search.shapeOf(search);
    if (shape === 'exclusions-only') {
      throw new ValidationFailedError([
        { field: 'search', message: 'search must name at least one word to find, not only words to exclude' },
      ]);
    }
    return shape === 'indexable';
  }
}
