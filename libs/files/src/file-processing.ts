import { Injectable } from '@nestjs/common';
import { FilesRepository } from './files.repository';

/**
 * What happens to a file once its bytes are stored: FilesService calls `enqueue(fileId)` after the
 * upload's transaction committed, with the file at status `processing`. An implementation moves it
 * to `ready` (or `failed` with an `error`) through FilesRepository.markReady / markFailed, now or
 * later (e.g. from a worker job that extracts and chunks its text). It must not throw for a
 * problem of the file itself: that is a `failed` status. Bind another class to this token to
 * replace the default.
 */
export abstract class FileProcessing {
  abstract enqueue(fileId: string): Promise<void>;
}

/** The default: nothing to extract, so a file is `ready` as soon as it is stored. */
@Injectable()
export class ImmediateFileProcessing extends FileProcessing {
  constructor(private readonly files: FilesRepository) {
    super();
  }

  async enqueue(fileId: string): Promise<void> {
    await this.files.markReady(fileId, {});
  }
}
