import { Module } from '@nestjs/common';
import { FILE_PROCESSING_JOBS, FileProcessingJobsShutdown, createFileProcessingJobs } from './file-processing-queue';
import { AppConfig } from '@agents/core';
import { QueuedFileProcessing } from './queued-file-processing';

/**
 * The producer side of file processing, for every process: the file-processing queue and
 * QueuedFileProcessing, which puts a stored file on it. Imported by the files module (uploads) and
 * by FileIndexingModule, it is one instance per process, so there is one queue per process.
 */
@Module({
  providers: [
    { provide: FILE_PROCESSING_JOBS, inject: [AppConfig], useFactory: createFileProcessingJobs },
    FileProcessingJobsShutdown,
    QueuedFileProcessing,
  ],
  exports: [FILE_PROCESSING_JOBS, QueuedFileProcessing],
})
export class FileProcessingModule {}
