import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AclService, PermissionBits } from '@agents/acl';
import type { AuthUser } from '@agents/auth';
import {
  AGENT_ID_PATTERN,
  AppConfig,
  ConflictError,
  NotFoundError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
  decodeCursor,
  encodeCursor,
  toPage,
  UUID_PATTERN,
  type Page,
  type PageQueryDto,
} from '@agents/core';
import { VersionsRepository, takeSnapshot } from '@agents/versions';
import { AgentFilesRepository, fileIdsByResource, withFile } from './agent-files.repository';
import type { FileListResponseDto, FileResponseDto, FilesConfigResponseDto } from './dto/file-response.dto';
import type { UploadFileDto } from './dto/upload-file.dto';
import type { FileEntity } from './file.entity';
import { toFileResponse } from './file.mapper';
import { ACCEPTED_TYPES, sniff } from './file-types';
import { FilesService } from './files.service';

/** The part of a multipart upload the routes read (multer's memory-storage file). */
export interface UploadedFile {
  originalname: string;
  buffer: Buffer;
  size: number;
}

/** A file and its bytes, for a download. */
export interface FileDownload {
  file: FileEntity;
  data: Buffer;
}

/**
 * The files routes: who may upload, see, download and delete which file. A file is its owner's;
 * a user who may EDIT an agent whose tool_resources list a file may also see and download it.
 * Anyone else gets a 404, so a file's existence is never revealed.
 */
@Injectable()
export class FileAccessService {
  constructor(
    private readonly files: FilesService,
    private readonly agentFiles: AgentFilesRepository,
    private readonly versions: VersionsRepository,
    private readonly acl: AclService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Stores an upload after checking its content is the type its name says. With `agent_id`, the
   * caller needs EDIT on the agent, and the file is appended to the agent's
   * `tool_resources.<tool_resource>.file_ids` as a new agent version, in the storing transaction.
   */
  async upload(user: AuthUser, upload: UploadedFile | undefined, dto: UploadFileDto): Promise<FileResponseDto> {
    if (!upload) throw new ValidationFailedError([{ field: 'file', message: 'a file is required (field "file")' }]);
    if (dto.tool_resource !== undefined && dto.agent_id === undefined) {
      throw new ValidationFailedError([
        { field: 'agent_id', message: 'tool_resource needs the agent_id of the agent to attach the file to' },
      ]);
    }
    const sniffed = sniff(upload.buffer, upload.originalname);
    if (!sniffed.ok) {
      throw new UnsupportedMediaTypeError([{ field: 'file', message: `unsupported file: ${sniffed.reason}` }]);
    }
    const agentId = dto.agent_id;
    const resource = dto.tool_resource ?? 'file_search';
    if (agentId !== undefined) {
      // Checked before storing too, so a caller without EDIT never costs a write.
      await this.acl.assertCan(user, { type: 'Agent', id: agentId }, 'edit');
    }
    const file = await this.files.store(
      {
        userId: user.id,
        filename: upload.originalname,
        mimeType: sniffed.mimeType,
        data: upload.buffer,
        purpose: agentId === undefined ? 'attachment' : resource,
        agentId: agentId ?? null,
      },
      agentId === undefined ? undefined : (m, stored) => this.attach(m, user, agentId, resource, stored.id),
    );
    return toFileResponse(file);
  }

  async list(user: AuthUser, query: PageQueryDto): Promise<FileListResponseDto> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, UUID_PATTERN);
    const rows = await this.files.pageOwnedBy(user.id, query.limit, after);
    const page: Page<FileResponseDto> = toPage(
      rows,
      query.limit,
      toFileResponse,
      (f) => f.id,
      (f) => encodeCursor({ at: f.createdAt, id: f.id }),
    );
    return page;
  }

  async get(user: AuthUser, id: string): Promise<FileResponseDto> {
    return toFileResponse(await this.readable(user, id));
  }

  async download(user: AuthUser, id: string): Promise<FileDownload> {
    const file = await this.readable(user, id);
    return { file, data: await this.files.readBytes(file) };
  }

  /**
   * Deletes the caller's file: its bytes, its chunks, and its id from the tool_resources of every
   * agent listing it. That removal edits the agents' current configuration in place rather than
   * appending a version: it is no one's edit of the agent (the file is gone, and whoever deletes it
   * may not even see the agent), and it must not fail on an agent's version limit.
   */
  async remove(user: AuthUser, id: string): Promise<void> {
    const file = await this.files.findById(id);
    if (!file || file.userId !== user.id) throw notFound(id);
    await this.files.delete(file, async (m) => {
      await this.agentFiles.removeEverywhere(m, file.id);
    });
  }

  /** The files an agent's tool_resources list (needs EDIT), in their listed order, with their status. */
  async agentFilesOf(user: AuthUser, agentId: string): Promise<FileResponseDto[]> {
    if (!AGENT_ID_PATTERN.test(agentId)) throw new NotFoundError(`Agent ${agentId.slice(0, 64)} not found`);
    await this.acl.assertCan(user, { type: 'Agent', id: agentId }, 'edit');
    const toolResources = await this.agentFiles.toolResourcesOf(agentId);
    if (!toolResources) throw new NotFoundError(`Agent ${agentId} not found`);
    const ids = [...new Set([...fileIdsByResource(toolResources).values()].flat())];
    const found = new Map((await this.files.findByIds(ids)).map((f) => [f.id, f]));
    return ids.flatMap((fid) => {
      const file = found.get(fid);
      return file ? [toFileResponse(file)] : [];
    });
  }

  async settings(user: AuthUser): Promise<FilesConfigResponseDto> {
    return {
      maxBytes: this.config.files.maxBytes,
      quotaBytes: this.config.files.quotaBytes,
      usedBytes: await this.files.usedBytes(user.id),
      acceptedTypes: ACCEPTED_TYPES,
      storage: this.config.files.storage,
    };
  }

  /** The file, when the caller owns it or may EDIT an agent that lists it; 404 otherwise. */
  private async readable(user: AuthUser, id: string): Promise<FileEntity> {
    const file = await this.files.findById(id);
    if (!file) throw notFound(id);
    if (file.userId === user.id) return file;
    for (const agentId of await this.agentFiles.agentsListing(file.id)) {
      const bits = await this.acl.effectiveBits(user, { type: 'Agent', id: agentId });
      if ((bits & PermissionBits.EDIT) !== 0) return file;
    }
    throw notFound(id);
  }

  /** Appends the file to the agent's tool resource as its next version (the agent's row locked). */
  private async attach(
    m: EntityManager,
    user: AuthUser,
    agentId: string,
    resource: string,
    fileId: string,
  ): Promise<void> {
    const agent = await this.agentFiles.lockAgent(m, agentId);
    if (!agent) throw new NotFoundError(`Agent ${agentId} not found`);
    await this.acl.assertCan(user, { type: 'Agent', id: agentId }, 'edit', m);
    const max = this.config.maxVersionsPerAgent;
    if (agent.version >= max) {
      throw new ConflictError(
        `This agent has ${max} versions, the most one agent keeps; duplicate it and attach the file to the copy`,
      );
    }
    const snapshot = takeSnapshot(agent);
    snapshot.tool_resources = withFile(agent.tool_resources, resource, fileId);
    const now = new Date();
    const version = agent.version + 1;
    await this.agentFiles.saveVersion(m, agentId, snapshot.tool_resources, version, now);
    await this.versions.append(m, { agentId, version, snapshot, createdBy: user.id, createdAt: now });
  }
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`File ${id.slice(0, 64)} not found`);
}
