import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ChatMessage } from '@agents/providers';

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

  /** The response object exactly as it was returned. */
  @Column({ type: 'jsonb' })
  body!: Record<string, unknown>;

  /** The whole conversation up to and including this answer: what `previous_response_id` continues. */
  @Column({ type: 'jsonb' })
  conversation!: ChatMessage[];

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
