import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a file is for: the agent tool resource it serves, a chat attachment, or a tool's output. */
export const FILE_PURPOSES = ['file_search', 'code_interpreter', 'context', 'attachment', 'generated'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

/** The tool resources of an agent a file may be attached to on upload. */
export const TOOL_RESOURCES = ['file_search', 'code_interpreter', 'context'] as const;
export type ToolResource = (typeof TOOL_RESOURCES)[number];

/** `processing` until FileProcessing is done with it, then `ready` or `failed` (with `error`). */
export const FILE_STATUSES = ['processing', 'ready', 'failed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export type StorageKind = 'database' | 's3';

const bigintAsNumber = {
  to: (value: number) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/** An uploaded or generated file's metadata (table `files`); its bytes are in a FileStorage. */
@Entity({ name: 'files' })
export class FileEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 255 })
  filename!: string;

  /** The sniffed MIME type (never the client's claim). */
  @Column({ name: 'mime_type', type: 'varchar', length: 255 })
  mimeType!: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  bytes!: number;

  /** Hex SHA-256 of the bytes. */
  @Column({ type: 'char', length: 64 })
  sha256!: string;

  @Column({ type: 'varchar', length: 16 })
  storage!: StorageKind;

  /** The object key in S3 (`files/<userId>/<fileId>`); null for database storage. */
  @Column({ name: 'storage_key', type: 'varchar', length: 512, nullable: true })
  storageKey!: string | null;

  @Column({ type: 'varchar', length: 32 })
  purpose!: FilePurpose;

  /** The agent the file was uploaded for, if any (informational: access follows tool_resources). */
  @Column({ name: 'agent_id', type: 'varchar', length: 32, nullable: true })
  agentId!: string | null;

  @Column({ name: 'conversation_id', type: 'uuid', nullable: true })
  conversationId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: FileStatus;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** Pages of a paged document, once extracted. */
  @Column({ type: 'integer', nullable: true })
  pages!: number | null;

  @Column({ name: 'chunk_count', type: 'integer' })
  chunkCount!: number;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
