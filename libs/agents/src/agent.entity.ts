import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AgentEdge, AgentSupportContact } from '@agents/versions';

@Entity({ name: 'agents' })
export class AgentEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 256 })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text', nullable: true })
  instructions!: string | null;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ type: 'varchar', length: 256 })
  model!: string;

  @Column({ name: 'model_parameters', type: 'jsonb' })
  model_parameters!: Record<string, unknown>;

  @Column({ type: 'jsonb' })
  tools!: string[];

  @Column({ name: 'tool_resources', type: 'jsonb' })
  tool_resources!: Record<string, unknown>;

  @Column({ type: 'uuid' })
  author!: string;

  @Column({ type: 'jsonb', nullable: true })
  avatar!: { filepath: string; source: string } | null;

  @Column({ type: 'varchar', length: 64 })
  category!: string;

  @Column({ name: 'conversation_starters', type: 'jsonb' })
  conversation_starters!: string[];

  @Column({ type: 'varchar', length: 16 })
  artifacts!: string;

  @Column({ name: 'recursion_limit', type: 'integer', nullable: true })
  recursion_limit!: number | null;

  @Column({ name: 'support_contact', type: 'jsonb', nullable: true })
  support_contact!: AgentSupportContact | null;

  @Column({ type: 'jsonb' })
  edges!: AgentEdge[];

  @Column({ name: 'end_after_tools', type: 'boolean' })
  end_after_tools!: boolean;

  @Column({ name: 'hide_sequential_outputs', type: 'boolean' })
  hide_sequential_outputs!: boolean;

  @Column({ name: 'is_promoted', type: 'boolean' })
  is_promoted!: boolean;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
