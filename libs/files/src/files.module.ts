import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { AclModule } from '@agents/acl';
import { AppConfig } from '@agents/core';
import { VersionsModule } from '@agents/versions';
import { AgentFilesRepository } from './agent-files.repository';
import { FileAccessService } from './file-access.service';
import { FilesController } from './files.controller';
import { FilesDataModule } from './files-data.module';
import { UploadErrorsInterceptor } from './upload-errors.interceptor';

/**
 * The files routes (`/api/files`) on top of FilesDataModule, which it re-exports. Uploads are read
 * into memory by multer, bounded by FILE_MAX_BYTES, one file and a few short fields per request.
 */
@Module({
  imports: [
    FilesDataModule,
    AclModule,
    VersionsModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // File names are sent as raw UTF-8 by browsers and HTTP clients, not latin1.
        defParamCharset: 'utf8',
        limits: { fileSize: config.files.maxBytes, files: 1, fields: 10, fieldSize: 1024 },
      }),
    }),
  ],
  controllers: [FilesController],
  providers: [FileAccessService, AgentFilesRepository, UploadErrorsInterceptor],
  exports: [FilesDataModule, FileAccessService],
})
export class FilesModule {}
