import { Module } from '@nestjs/common';
import { AgentsModule } from '@agents/agents';
import { AuthModule } from '@agents/auth';
import { AgentUsageController, UsageController } from './usage.controller';
import { UsageDataModule } from './usage-data.module';
import { UsageService } from './usage.service';

/** The usage and budget routes (docs/http-api.md § Usage and budgets). */
@Module({
  imports: [UsageDataModule, AgentsModule, AuthModule],
  controllers: [UsageController, AgentUsageController],
  providers: [UsageService],
})
export class UsageModule {}
