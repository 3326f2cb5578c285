import { Module } from '@nestjs/common';
import { FileBytes } from '../processing/file-bytes';
import { FilesDataModule } from '../files-data.module';
import { FileSearchModule } from '../search/file-search.module';
import { ServiceGeneratedFiles, StoredFileBytes } from '../service-backed-files';
import { GeneratedFiles } from './generated-files';
import { ToolFilesFactory } from './tool-files.factory';
import { ToolFilesRepository } from './tool-files.repository';

/**
 * What the run loop needs to hand tools their files: ToolFilesFactory. Bytes are read, and the
 * files tools make are stored, through the files service (its storage and its quota).
 */
@Module({
  imports: [FileSearchModule, FilesDataModule],
  providers: [
    ToolFilesRepository,
    { provide: FileBytes, useClass: StoredFileBytes },
    { provide: GeneratedFiles, useClass: ServiceGeneratedFiles },
    ToolFilesFactory,
  ],
  exports: [ToolFilesFactory],
})
export class ToolFilesModule {}
