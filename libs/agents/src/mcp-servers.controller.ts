import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '@agents/auth';
import { ApiErrors } from '@agents/core';
import { McpManager, type McpServerState } from '@agents/tools';
import { McpServerListResponseDto, type McpServerDto } from './dto/mcp-server-response.dto';

@ApiTags('agents')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('mcp/servers')
export class McpServersController {
  constructor(private readonly mcp: McpManager) {}

  /**
   * The MCP servers of the config file and how this api process stands with each (it connects on
   * first use, so a server nobody has used yet is `idle`); asking does not connect. Why a server
   * failed is for ADMIN users only.
   */
  @Get()
  list(@CurrentUser() user: AuthUser): McpServerListResponseDto {
    const admin = user.role === 'ADMIN';
    return { servers: this.mcp.states().map((state) => toDto(state, admin)) };
  }
}

/** A server's state, without its last error for a caller who is not an admin. */
function toDto(state: McpServerState, admin: boolean): McpServerDto {
  return {
    name: state.name,
    transport: state.transport,
    state: state.state,
    toolCount: state.toolCount,
    ...(state.connectedAt !== undefined ? { connectedAt: state.connectedAt } : {}),
    ...(admin && state.lastError !== undefined ? { lastError: state.lastError } : {}),
  };
}
