import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors, PageQueryDto } from '@agents/core';
import { ApiKeysService } from './api-keys.service';
import type { AuthUser } from './auth-user';
import { CurrentUser } from './current-user.decorator';
import { ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';

/** The caller's API keys. JWT only: an API key cannot list, create or delete keys. */
@ApiTags('api-keys')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** Creates a key for the OpenAI-compatible API. The key is in this response only; store it now. */
  @Post()
  @ApiErrors(400, 409)
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(user, dto);
  }

  /** The caller's keys, newest first, cursor-paginated; never the keys themselves. */
  @Get()
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: PageQueryDto): Promise<ApiKeyListDto> {
    return this.apiKeys.list(user, query);
  }

  /** Deletes one of the caller's keys; requests with it are refused from then on. */
  @Delete(':id')
  @HttpCode(204)
  @ApiErrors(404)
  delete(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<void> {
    return this.apiKeys.delete(user, id);
  }
}
