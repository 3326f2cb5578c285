import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@agents/core';
import { DatabaseFileStorage } from './database-file-storage';
import { FileEntity } from './file.entity';
import { FileProcessing, ImmediateFileProcessing } from './file-processing';
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
  imports: [TypeOrmModule.forFeature([FileEntity])],
  providers: [
    FilesRepository,
    DatabaseFileStorage,
    {
      provide: FileStorage,
      inject: [AppConfig, DatabaseFileStorage],
      useFactory: (config: AppConfig, database: DatabaseFileStorage): FileStorage =>
        config.files.storage === 's3' ? new S3FileStorage(config.files.s3) : database,
    },
    { provide: FileProcessing, useClass: ImmediateFileProcessing },
    FilesService,
  ],
  exports: [FilesService, FilesRepository, FileStorage, FileProcessing, DatabaseFileStorage],
})
export class FilesDataModule {}
