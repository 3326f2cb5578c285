import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@agents/core';
import { AclService } from './acl.service';
import { PrincipalSearchResponseDto, SearchPrincipalsQueryDto } from './dto/sharing.dto';

@ApiTags('permissions')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('permissions')
export class PrincipalsController {
  constructor(private readonly acl: AclService) {}

  /** Users and groups whose name (or email) contains `q`, to share with. */
  @Get('search-principals')
  @ApiErrors(400)
  async search(@Query() query: SearchPrincipalsQueryDto): Promise<PrincipalSearchResponseDto> {
    return { data: await this.acl.searchPrincipals(query.q, query.limit) };
  }
}
