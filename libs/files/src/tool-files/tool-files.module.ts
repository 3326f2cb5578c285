import { Module } from '@nestjs/common';
import { DatabaseFileBytes, FileBytes } from '../processing/file-bytes';
import { FileSearchModule } from '../search/file-search.module';
import { DatabaseGeneratedFiles, GeneratedFiles } from './generated-files';
import { ToolFilesFactory } from './tool-files.factory';
import { ToolFilesRepository } from './tool-files.repository';

/**
 * What the run loop needs to hand tools their files: ToolFilesFactory. Bytes are read from
 * `file_contents` and generated files stored there (FileBytes, GeneratedFiles): bind those to the
 * file storage and the files service to use S3 and the service's own bookkeeping.
 */
@Module({
  imports: [FileSearchModule],
  providers: [
    ToolFilesRepository,
    { provide: FileBytes, useClass: DatabaseFileBytes },
    { provide: GeneratedFiles, useClass: DatabaseGeneratedFiles },
    ToolFilesFactory,
  ],
  exports: [ToolFilesFactory],
})
export class ToolFilesModule {}
