import { Module } from '@nestjs/common';
import { FilesDataModule } from '../files-data.module';
import { StoredFileBytes } from '../service-backed-files';
import { FileBytes } from './file-bytes';
import { FileIndexRepository } from './file-index.repository';
import { FileIndexer } from './file-indexer';
import { FileProcessingModule } from './file-processing.module';
import { FileProcessingProcessor } from './file-processing.processor';

/**
 * The worker side of file processing: takes files off the queue and indexes them. Importing it
 * means consuming jobs: the worker process imports it, the api only in the embedded mode. The
 * bytes are read from `file_contents` (FileBytes); bind FileBytes to the file storage to read
 * from S3 as well.
 */
@Module({
  imports: [FileProcessingModule, FilesDataModule],
  providers: [
    FileIndexRepository,
    { provide: FileBytes, useClass: StoredFileBytes },
    FileIndexer,
    FileProcessingProcessor,
  ],
  exports: [FileIndexer],
})
export class FileIndexingModule {}
