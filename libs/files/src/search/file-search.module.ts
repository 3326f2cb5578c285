import { Module } from '@nestjs/common';
import { FileSearch } from './file-search';

/** FileSearch, for whoever searches files outside a tool call. */
@Module({ providers: [FileSearch], exports: [FileSearch] })
export class FileSearchModule {}
