import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@agents/core';
import { AdminOnly } from './admin-only.guard';
import type { AuthUser } from './auth-user';
import { CurrentUser } from './current-user.decorator';
import {
  AddMemberDto,
  CreateGroupDto,
  GroupDetailResponseDto,
  GroupListResponseDto,
  GroupResponseDto,
} from './dto/group.dto';
import { GroupsService } from './groups.service';
import type { MessageDto } from './dto/message.dto';

@ApiTags('groups')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  /** Creates a group of users to share agents with (ADMIN). */
  @Post()
  @AdminOnly()
  @ApiErrors(400, 403, 409)
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateGroupDto): Promise<GroupResponseDto> {
    return this.groups.create(user, dto);
  }

  /** Every group for an ADMIN; the caller's own groups otherwise. */
  @Get()
  async list(@CurrentUser() user: AuthUser): Promise<GroupListResponseDto> {
    return { data: await this.groups.list(user) };
  }

  /** A group and its members (ADMIN, or a member). */
  @Get(':id')
  @ApiErrors(404)
  get(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<GroupDetailResponseDto> {
    return this.groups.get(user, id);
  }

  /** Adds a user to the group (ADMIN). Adding a member twice changes nothing. */
  @Post(':id/members')
  @AdminOnly()
  @ApiErrors(400, 403, 404)
  addMember(@Param('id') id: string, @Body() dto: AddMemberDto): Promise<GroupDetailResponseDto> {
    return this.groups.addMember(id, dto.userId);
  }

  /** Removes a user from the group (ADMIN). */
  @Delete(':id/members/:userId')
  @AdminOnly()
  @ApiErrors(403, 404)
  removeMember(@Param('id') id: string, @Param('userId') userId: string): Promise<GroupDetailResponseDto> {
    return this.groups.removeMember(id, userId);
  }

  /** Deletes the group (ADMIN); every grant made to it goes with it. */
  @Delete(':id')
  @AdminOnly()
  @ApiErrors(403, 404)
  async delete(@Param('id') id: string): Promise<MessageDto> {
    await this.groups.delete(id);
    return { message: 'Group deleted' };
  }
}
