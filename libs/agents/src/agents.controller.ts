import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, type AuthUser } from '@agents/auth';
import { ApiErrors, PageQueryDto } from '@agents/core';
import { ProviderModelCatalog } from '@agents/providers';
import { ToolRegistry } from '@agents/tools';
import { RequireAgentPermission } from './agent-permission.guard';
import { AgentsService } from './agents.service';
import {
  AGENT_VIEW_SCHEMA,
  AgentCardResponseDto,
  AgentCategoryDto,
  AgentListResponseDto,
  AgentResponseDto,
  AgentVersionListResponseDto,
  MessageResponseDto,
  ToolResponseDto,
  ProviderResponseDto,
  type AgentViewDto,
} from './dto/agent-response.dto';
import { CreateAgentDto } from './dto/create-agent.dto';
import { ListAgentsQueryDto } from './dto/list-agents-query.dto';
import { RevertAgentDto } from './dto/revert-agent.dto';
import { UpdateAgentDto } from './dto/update-agent.dto';
import { etagOf, parseIfMatch } from './if-match';

const IF_MATCH = {
  name: 'If-Match',
  required: false,
  description: 'The version you last read (the ETag); a stale version answers 412 instead of overwriting',
  example: '"3"',
};

@ApiTags('agents')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('agents')
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly tools: ToolRegistry,
    private readonly providerModels: ProviderModelCatalog,
  ) {}

  /**
   * The tools this deployment can run, which an agent may enable: the configured built-ins and
   * every tool of the configured MCP servers (with an entry enabling all of a server's tools).
   */
  @Get('tools')
  listTools(): Promise<ToolResponseDto[]> {
    return this.tools.catalog();
  }

  /**
   * The providers an agent may name, whether this deployment can call each, and their models (from
   * the config file, or listed by the endpoint itself, cached; an endpoint that fails lists none).
   */
  @Get('providers')
  listProviders(): Promise<ProviderResponseDto[]> {
    return this.providerModels.list();
  }

  /**
   * The categories of the agents the caller can see, with how many each holds, plus `general`;
   * sorted by value. Declared before `:id`, which would otherwise take "categories" for an agent id.
   */
  @Get('categories')
  categories(@CurrentUser() user: AuthUser): Promise<AgentCategoryDto[]> {
    return this.agents.categories(user);
  }

  /**
   * Agents the caller can see, newest `updatedAt` first, cursor-paginated; each in full where the
   * caller holds EDIT, as its card elsewhere.
   */
  @Get()
  @ApiExtraModels(AgentResponseDto, AgentCardResponseDto)
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: ListAgentsQueryDto): Promise<AgentListResponseDto> {
    return this.agents.list(user, query);
  }

  /** Creates an agent at version 1; the caller becomes its owner. */
  @Post()
  @ApiErrors(400, 409, 413)
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateAgentDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.create(user, dto));
  }

  /**
   * One agent (needs VIEW). A caller with EDIT gets it in full; one who may only see or use it gets
   * the catalogue card, without instructions, tools, tool_resources and the rest of the configuration.
   * The ETag header carries its version.
   */
  @Get(':id')
  @RequireAgentPermission('view')
  @ApiExtraModels(AgentResponseDto, AgentCardResponseDto)
  @ApiOkResponse({ description: 'The agent in full (caller holds EDIT) or its card', schema: AGENT_VIEW_SCHEMA })
  @ApiErrors(404)
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentViewDto> {
    return withEtag(res, await this.agents.get(user, id));
  }

  /** The agent's full configuration (needs EDIT), what an agent builder loads. The ETag header carries its version. */
  @Get(':id/expanded')
  @RequireAgentPermission('edit')
  @ApiErrors(403, 404)
  async expanded(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.expanded(user, id));
  }

  /** Changes the fields present (needs EDIT). A change creates a new version; no change creates none. */
  @Patch(':id')
  @RequireAgentPermission('edit')
  @ApiHeader(IF_MATCH)
  @ApiErrors(400, 403, 404, 409, 412, 413)
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() dto: UpdateAgentDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.update(user, id, dto, parseIfMatch(ifMatch)));
  }

  /** Deletes the agent (needs DELETE). */
  @Delete(':id')
  @RequireAgentPermission('delete')
  @ApiErrors(403, 404)
  async delete(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<MessageResponseDto> {
    await this.agents.delete(user, id);
    return { message: 'Agent deleted' };
  }

  /** Copies the agent (needs VIEW); the copy is owned by the caller and starts at version 1. */
  @Post(':id/duplicate')
  @RequireAgentPermission('view')
  @ApiErrors(404, 409)
  async duplicate(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.duplicate(user, id));
  }

  /** The agent's history, newest first (needs EDIT). */
  @Get(':id/versions')
  @RequireAgentPermission('edit')
  @ApiErrors(400, 403, 404)
  listVersions(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Query() query: PageQueryDto,
  ): Promise<AgentVersionListResponseDto> {
    return this.agents.listVersions(user, id, query);
  }

  /** Returns the agent's fields to those of an earlier version, recorded as a new version (needs EDIT). */
  @Post(':id/revert')
  @RequireAgentPermission('edit')
  @HttpCode(200)
  @ApiHeader(IF_MATCH)
  @ApiErrors(400, 403, 404, 409, 412)
  async revert(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Body() dto: RevertAgentDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AgentResponseDto> {
    return withEtag(res, await this.agents.revert(user, id, dto, parseIfMatch(ifMatch)));
  }
}

function withEtag<T extends { version: number }>(res: Response, agent: T): T {
  res.setHeader('ETag', etagOf(agent.version));
  return agent;
}
