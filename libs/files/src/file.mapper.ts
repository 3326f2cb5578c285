import type { FileResponseDto } from './dto/file-response.dto';
import type { FileEntity } from './file.entity';

/** The download path of a file. */
export const contentPathOf = (id: string): string => `/api/files/${id}/content`;

export function toFileResponse(file: FileEntity): FileResponseDto {
  return {
    file_id: file.id,
    id: file.id,
    filename: file.filename,
    filepath: contentPathOf(file.id),
    type: file.mimeType,
    bytes: file.bytes,
    purpose: file.purpose,
    status: file.status,
    error: file.error,
    agent_id: file.agentId,
    conversation_id: file.conversationId,
    pages: file.pages,
    chunks: file.chunkCount,
    createdAt: file.createdAt.toISOString(),
    updatedAt: file.updatedAt.toISOString(),
  };
}
