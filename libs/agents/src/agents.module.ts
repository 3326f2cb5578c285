import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AclModule } from '@agents/acl';
import { FilesDataModule } from '@agents/files';
import { ProvidersModule } from '@agents/providers';
import { ToolsModule } from '@agents/tools';
import { VersionsModule } from '@agents/versions';
import { AgentAccessPolicy } from './agent-access.policy';
import { AgentConfigValidator } from './agent-config.validator';
import { AgentFileOwnership } from './agent-file-ownership';
import { AgentEntity } from './agent.entity';
import { AgentPermissionGuard } from './agent-permission.guard';
import { AgentPermissionsController } from './agent-permissions.controller';
import { AgentSharingService } from './agent-sharing.service';
import { AgentsController } from './agents.controller';
import { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';
import { McpServersController } from './mcp-servers.controller';

@Module({
  imports: [
    TypeOrmModule.forFeature([AgentEntity]),
    AclModule,
    VersionsModule,
    ProvidersModule,
    ToolsModule,
    FilesDataModule,
  ],
  controllers: [AgentsController, AgentPermissionsController, McpServersController],
  providers: [
    AgentsService,
    AgentsRepository,
    AgentAccessPolicy,
    AgentConfigValidator,
    AgentFileOwnership,
    AgentSharingService,
    AgentPermissionGuard,
  ],
  exports: [AgentsService, AgentsRepository, AgentAccessPolicy],
})
export class AgentsModule {}
