import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type PrincipalType = 'user' | 'group' | 'public';
export type ResourceType = 'agent';

/** One grant: a principal holds `permBits` (named by `roleId`) on one resource. */
@Entity({ name: 'acl_entries' })
export class AclEntryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'principal_type', type: 'varchar', length: 8 })
  principalType!: PrincipalType;

  /** A user or group id; null for the public principal. */
  @Column({ name: 'principal_id', type: 'uuid', nullable: true })
  principalId!: string | null;

  @Column({ name: 'resource_type', type: 'varchar', length: 16 })
  resourceType!: ResourceType;

  @Column({ name: 'resource_id', type: 'varchar', length: 64 })
  resourceId!: string;

  @Column({ name: 'perm_bits', type: 'integer' })
  permBits!: number;

  @Column({ name: 'role_id', type: 'varchar', length: 32 })
  roleId!: string;

  @Column({ name: 'granted_by', type: 'uuid', nullable: true })
  grantedBy!: string | null;

  @Column({ name: 'granted_at', type: 'timestamptz', precision: 3 })
  grantedAt!: Date;

  /** The resource's updated_at, maintained by database triggers (never written by the app). */
  @Column({ name: 'resource_updated_at', type: 'timestamptz', precision: 3, insert: false, update: false })
  resourceUpdatedAt!: Date;
}
