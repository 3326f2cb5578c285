import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AgentSnapshot } from './agent-snapshot';

/** One immutable version of an agent. Rows are only ever inserted (a trigger refuses updates). */
@Entity({ name: 'agent_versions' })
export class AgentVersionEntity {
  @PrimaryColumn({ name: 'agent_id', type: 'varchar', length: 32 })
  agentId!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ type: 'jsonb' })
  snapshot!: AgentSnapshot;

  @Column({ name: 'created_by', type: 'uuid' })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
