import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '@agents/auth';
import { ApiErrors } from '@agents/core';
import { MessageSearchListDto, SearchMessagesQueryDto } from '../dto/search.dto';
import { SearchService } from './search.service';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401)
@Controller()
export class SearchController {
  constructor(private readonly search: SearchService) {}

  /**
   * Full-text search over the caller's own messages, best match first (a word found more often
   * ranks higher; ties newest first), each with its conversation's title and a snippet with the
   * matches between « and ». Cursor-paginated: pass `after` back as `cursor` with the same
   * `search`. Words that are all stop words ("the", "and") find nothing; excluded words alone
   * (`-word`) are a 400.
   */
  @Get('messages')
  @ApiErrors(400)
  messages(@CurrentUser() user: AuthUser, @Query() query: SearchMessagesQueryDto): Promise<MessageSearchListDto> {
    return this.search.messages(user, query);
  }
}
