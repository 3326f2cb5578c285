import type { Page } from '@agents/core';

/** A stored file, named as LibreChat names its file objects. */
export class FileResponseDto {
  /** The file's id (UUID). @example "3f6c1f0e-2b1a-4c55-9d1e-2a8f9b7c6d5e" */
  file_id!: string;
  /** The same id, for clients that read `id`. @example "3f6c1f0e-2b1a-4c55-9d1e-2a8f9b7c6d5e" */
  id!: string;
  /** The sanitized original name. @example "handbook.pdf" */
  filename!: string;
  /** Where its bytes download from. @example "/api/files/3f6c1f0e-2b1a-4c55-9d1e-2a8f9b7c6d5e/content" */
  filepath!: string;
  /** The MIME type detected from the content. @example "application/pdf" */
  type!: string;
  /** Size in bytes. @example 52311 */
  bytes!: number;
  /** `file_search`, `code_interpreter`, `context`, `attachment` or `generated`. @example "file_search" */
  purpose!: string;
  /** `processing`, `ready` or `failed`. @example "ready" */
  status!: string;
  /** Why processing failed, when `status` is `failed`. @example null */
  error!: string | null;
  /** The agent it was uploaded for, if any. @example "agent_V1StGXR8Z5jdHi6B-myT1" */
  agent_id!: string | null;
  /** The conversation it belongs to, if any. @example null */
  conversation_id!: string | null;
  /** Pages of a paged document, once extracted. @example 12 */
  pages!: number | null;
  /** Chunks of extracted text indexed for search. @example 40 */
  chunks!: number;
  /** @example "2026-03-04T05:06:07.089Z" */
  createdAt!: string;
  /** @example "2026-03-04T05:06:07.089Z" */
  updatedAt!: string;
}

/** One page of the caller's files (docs/http-api.md § Pagination). */
export class FileListResponseDto implements Page<FileResponseDto> {
  /** @example "list" */
  object!: 'list';
  data!: FileResponseDto[];
  /** @example "3f6c1f0e-2b1a-4c55-9d1e-2a8f9b7c6d5e" */
  first_id!: string | null;
  /** @example "3f6c1f0e-2b1a-4c55-9d1e-2a8f9b7c6d5e" */
  last_id!: string | null;
  /** @example false */
  has_more!: boolean;
  /** Pass as `cursor` for the next page. @example null */
  after!: string | null;
}

/** One accepted file type. */
export class AcceptedTypeDto {
  /** @example ["pdf"] */
  extensions!: string[];
  /** @example "application/pdf" */
  mimeType!: string;
}

/** The upload limits and the caller's usage. */
export class FilesConfigResponseDto {
  /** Largest file accepted, in bytes. @example 20971520 */
  maxBytes!: number;
  /** Bytes one user may hold. @example 524288000 */
  quotaBytes!: number;
  /** Bytes the caller holds now. @example 52311 */
  usedBytes!: number;
  acceptedTypes!: AcceptedTypeDto[];
  /** Where bytes are kept: `database` or `s3`. @example "database" */
  storage!: string;
}
