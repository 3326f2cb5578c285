import { Inject, Injectable } from '@nestjs/common';
import { FILE_PROCESSING_JOBS, type FileProcessingJobs } from './file-processing-queue';

/**
 * Starts the processing of a stored file: puts it on the file-processing queue, where the worker
 * side (FileProcessingProcessor) indexes it. The upload route's `FileProcessing` hook, bound to
 * this class. Queuing a file that is already queued or being processed does nothing.
 */
@Injectable()
export class QueuedFileProcessing {
  constructor(@Inject(FILE_PROCESSING_JOBS) private readonly jobs: FileProcessingJobs) {}

  /** Rejects with a ServiceUnavailableError (503) when Redis is down in the distributed mode. */
  async enqueue(fileId: string): Promise<void> {
    await this.jobs.add(fileId, { fileId });
  }
}
