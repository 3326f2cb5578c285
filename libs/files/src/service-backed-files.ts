import { Injectable } from '@nestjs/common';
import type { ToolFileRef } from '@agents/tools';
import { FilesService } from './files.service';
import { FileBytes } from './processing/file-bytes';
import { GeneratedFiles, type GeneratedFileInput } from './tool-files/generated-files';

/**
 * The processing pipeline's and the tools' view of file bytes, read through the files service, so
 * they come from wherever the file is stored (the database or S3).
 */
@Injectable()
export class StoredFileBytes extends FileBytes {
  constructor(private readonly files: FilesService) {
    super();
  }

  async read(fileId: string): Promise<Buffer> {
    const file = await this.files.findById(fileId);
    if (!file) throw new Error(`File ${fileId} does not exist`);
    return this.files.readBytes(file);
  }
}

/** Files tools make, stored by the files service: its storage, its quota, its bookkeeping. */
@Injectable()
export class ServiceGeneratedFiles extends GeneratedFiles {
  constructor(private readonly files: FilesService) {
    super();
  }

  async save(input: GeneratedFileInput): Promise<ToolFileRef> {
    const file = await this.files.saveGenerated(input);
    return { id: file.id, filename: file.filename, mimeType: file.mimeType, bytes: Number(file.bytes) };
  }
}
