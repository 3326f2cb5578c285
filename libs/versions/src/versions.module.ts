import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentVersionEntity } from './agent-version.entity';
import { VersionsRepository } from './versions.repository';

@Module({
  imports: [TypeOrmModule.forFeature([AgentVersionEntity])],
  providers: [VersionsRepository],
  exports: [VersionsRepository],
})
export class VersionsModule {}
