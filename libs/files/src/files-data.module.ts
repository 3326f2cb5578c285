import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@agents/core';
import { DatabaseFileStorage } from './database-file-storage';
import { FileEntity } from './file.entity';
import { FileProcessing } from './file-processing';
import { FileProcessingModule } from './processing/file-processing.module';
import { QueuedFileProcessing } from './processing/queued-file-processing';
import { FileStorage } from './file-storage';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { S3FileStorage } from './s3-file-storage';

/**
 * Files as data, without HTTP: what the agents library (ownership checks), tools and the worker
 * need. FileStorage is bound to the storage FILE_STORAGE names; FileProcessing to the default that
 * marks files ready at once (override it to extract text).
 */
@Module({
  imports: [TypeOrmModule.forFeature([FileEntity]), FileProcessingModule],
  providers: [
    FilesRepository,
    DatabaseFileStorage,
    {
      provide: FileStorage,
      inject: [AppConfig, DatabaseFileStorage],
      useFactory: (config: AppConfig, database: DatabaseFileStorage): FileStorage =>
        config.files.storage === 's3' ? new S3FileStorage(config.files.s3) : database,
    },
    // Text is extracted and indexed by the worker side (FileIndexingModule), off the request path.
    { provide: FileProcessing, useExisting: QueuedFileProcessing },
    FilesService,
  ],
  exports: [FilesService, FilesRepository, FileStorage, FileProcessing, DatabaseFileStorage],
})
export class FilesDataModule {}
