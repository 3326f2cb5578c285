import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { RequireAgentPermission } from '@agents/agents';
import { AdminOnly, CurrentUser, type AuthUser } from '@agents/auth';
import { ApiErrors } from '@agents/core';
import { SetBudgetDto } from './dto/set-budget.dto';
import { BudgetQueryDto, UsagePeriodQueryDto, UsageQueryDto } from './dto/usage-query.dto';
import { BudgetsDto, UsageReportDto } from './dto/usage-report.dto';
import { UsageService } from './usage.service';

/** `:id` of a user or API key whose budgets an ADMIN reads or sets. */
class SubjectIdParamDto {
  /** @example "3f6c1f0e-2b1a-4c55-9d1e-2a8f9b7c6d5e" */
  @IsUUID('all')
  id!: string;
}

@ApiTags('usage')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  /**
   * Tokens and cost summed by day, agent and model (or as `groupBy` says) over UTC days. Your own
   * usage; an ADMIN may name any `userId`, or none for everyone's.
   */
  @Get()
  @ApiErrors(400, 403, 404)
  report(@CurrentUser() user: AuthUser, @Query() query: UsageQueryDto): Promise<UsageReportDto> {
    return this.usage.report(user, query);
  }

  /** Your budgets (or one of your API keys'): each period's limit, what is used and when it resets. */
  @Get('budget')
  @ApiErrors(400, 404)
  budget(@CurrentUser() user: AuthUser, @Query() query: BudgetQueryDto): Promise<BudgetsDto> {
    return this.usage.budgetOf(user, query);
  }

  /** A user's budgets (ADMIN). */
  @Get('budgets/users/:id')
  @AdminOnly()
  @ApiErrors(400, 403, 404)
  userBudget(@Param() params: SubjectIdParamDto): Promise<BudgetsDto> {
    return this.usage.budgetOfSubject({ type: 'user', id: params.id });
  }

  /** Sets a user's budgets, overriding the config file's defaults (ADMIN). */
  @Put('budgets/users/:id')
  @AdminOnly()
  @ApiErrors(400, 403, 404)
  setUserBudget(@Param() params: SubjectIdParamDto, @Body() dto: SetBudgetDto): Promise<BudgetsDto> {
    return this.usage.setBudget({ type: 'user', id: params.id }, dto);
  }

  /** An API key's budgets (ADMIN). */
  @Get('budgets/api-keys/:id')
  @AdminOnly()
  @ApiErrors(400, 403, 404)
  keyBudget(@Param() params: SubjectIdParamDto): Promise<BudgetsDto> {
    return this.usage.budgetOfSubject({ type: 'api_key', id: params.id });
  }

  /** Sets an API key's budgets, overriding the config file's defaults (ADMIN). */
  @Put('budgets/api-keys/:id')
  @AdminOnly()
  @ApiErrors(400, 403, 404)
  setKeyBudget(@Param() params: SubjectIdParamDto, @Body() dto: SetBudgetDto): Promise<BudgetsDto> {
    return this.usage.setBudget({ type: 'api_key', id: params.id }, dto);
  }
}

@ApiTags('usage')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('agents')
export class AgentUsageController {
  constructor(private readonly usage: UsageService) {}

  /** The agent's usage by everyone, by day, version and model (EDIT on the agent). */
  @Get(':id/usage')
  @RequireAgentPermission('edit')
  @ApiErrors(400, 403, 404)
  agentUsage(@Param('id') id: string, @Query() query: UsagePeriodQueryDto): Promise<UsageReportDto> {
    return this.usage.agentReport(id, query);
  }
}
