import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Public, type AuthUser } from '@agents/auth';
import { ApiErrors, PageQueryDto } from '@agents/core';
import { CreateShareDto, PublicShareDto, ShareDto, ShareListDto, UpdateShareDto } from '../dto/share.dto';
import { SharesService } from './shares.service';

/** What a public snapshot's response says to caches, crawlers and the pages it links to. */
export const PUBLIC_SHARE_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Robots-Tag': 'noindex, nofollow',
  'Referrer-Policy': 'no-referrer',
} as const;

@ApiTags('shares')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('share')
export class SharesController {
  constructor(private readonly shares: SharesService) {}

  /**
   * Creates a share link: a read-only public snapshot of one of the caller's conversations, from
   * its first message down to `messageId` (default: the latest message), through parent links.
   * Messages added later do not appear in it.
   */
  @Post(':conversationId')
  @ApiErrors(400, 404, 409, 413)
  create(
    @CurrentUser() user: AuthUser,
    @Param('conversationId') conversationId: string,
    @Body() dto: CreateShareDto,
  ): Promise<ShareDto> {
    return this.shares.create(user, conversationId, dto);
  }

  /** The caller's share links, newest first, cursor-paginated. */
  @Get()
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: PageQueryDto): Promise<ShareListDto> {
    return this.shares.list(user, query);
  }

  /** Changes a share link's title, and/or takes its snapshot again (down to `messageId`, or the `latest` message). */
  @Patch(':shareId')
  @ApiErrors(400, 404, 409, 413)
  update(
    @CurrentUser() user: AuthUser,
    @Param('shareId') shareId: string,
    @Body() dto: UpdateShareDto,
  ): Promise<ShareDto> {
    return this.shares.update(user, shareId, dto);
  }

  /** Revokes a share link: from now on it answers 404. */
  @Delete(':shareId')
  @HttpCode(204)
  @ApiErrors(404)
  async remove(@CurrentUser() user: AuthUser, @Param('shareId') shareId: string): Promise<void> {
    await this.shares.remove(user, shareId);
  }
}

/** The public side of share links: no credentials (a separate class, so the docs ask for none). */
@ApiTags('shares')
@Controller('share')
export class PublicSharesController {
  constructor(private readonly shares: SharesService) {}

  /**
   * The snapshot behind a share link, for anyone who has the link (no credentials): the title and
   * the messages, nothing about who shared them. Not cached, not indexed.
   */
  @Public()
  @Get(':shareId')
  @ApiOkResponse({
    type: PublicShareDto,
    headers: {
      'Cache-Control': { description: '`no-store`', schema: { type: 'string' } },
      'X-Robots-Tag': { description: '`noindex, nofollow`', schema: { type: 'string' } },
    },
  })
  @ApiErrors(404)
  getPublic(@Param('shareId') shareId: string, @Res({ passthrough: true }) res: Response): Promise<PublicShareDto> {
    res.set(PUBLIC_SHARE_HEADERS);
    return this.shares.getPublic(shareId);
  }
}
