import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProvidersModule } from '@agents/providers';
import { ToolsModule } from '@agents/tools';
import { VersionsModule } from '@agents/versions';
import { AgentAccessPolicy } from './agent-access.policy';
import { AgentConfigValidator } from './agent-config.validator';
import { AgentEntity } from './agent.entity';
import { AgentsController } from './agents.controller';
import { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';

@Module({
  imports: [TypeOrmModule.forFeature([AgentEntity]), VersionsModule, ProvidersModule, ToolsModule],
  controllers: [AgentsController],
  providers: [AgentsService, AgentsRepository, AgentAccessPolicy, AgentConfigValidator],
  exports: [AgentsService, AgentsRepository, AgentAccessPolicy],
})
export class AgentsModule {}
