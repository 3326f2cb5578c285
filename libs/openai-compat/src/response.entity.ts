import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ChatMessage } from '@agents/providers';
import type { ResponseObject } from './response-events';

/** A stored Responses API exchange (`store: true`), readable and continuable only by its owner. */
@Entity({ name: 'responses' })
export class ResponseEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'agent_id', type: 'varchar', length: 32 })
  agentId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: string;

  /**
   * The response object exactly as it was returned. Rows stored before usage carried
   * `input_tokens_details.cache_write_tokens` lack it (see ResponsesService.get).
   */
  @Column({ type: 'jsonb' })
  body!: ResponseObject;

  /** The response this one continued (`previous_response_id`); the conversation is rebuilt along these links. */
  @Column({ name: 'previous_response_id', type: 'varchar', length: 64, nullable: true })
  previousResponseId!: string | null;

  /** This exchange's own turn: its new input messages and the answer (null on rows stored before chains). */
  @Column({ type: 'jsonb', nullable: true })
  messages!: ChatMessage[] | null;

  /** Characters of `messages`, so a walk along the chain can stop at the context budget. */
  @Column({ type: 'integer' })
  chars!: number;

  /** Rows stored before chains only: the whole conversation up to and including the answer. */
  @Column({ type: 'jsonb', nullable: true })
  conversation!: ChatMessage[] | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
