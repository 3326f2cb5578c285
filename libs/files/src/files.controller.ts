import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  StreamableFile,
  UploadedFile as Upload,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, type AuthUser } from '@agents/auth';
import { ApiErrors, ErrorResponseDto, PageQueryDto } from '@agents/core';
import { FileIdParamDto } from './dto/file-id-param.dto';
import { FileListResponseDto, FileResponseDto, FilesConfigResponseDto } from './dto/file-response.dto';
import { UploadFileDto } from './dto/upload-file.dto';
import { FileAccessService, type UploadedFile } from './file-access.service';
import { TOOL_RESOURCES } from './file.entity';
import { contentDisposition } from './filename';
import { isImage } from './file-types';
import { UploadErrorsInterceptor } from './upload-errors.interceptor';

@ApiTags('files')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('files')
export class FilesController {
  constructor(private readonly files: FileAccessService) {}

  /**
   * Uploads a file (multipart, field `file`). Its type is detected from its content and must agree
   * with its name. With `agent_id` (EDIT needed) the file is also listed in the agent's
   * `tool_resources.<tool_resource>.file_ids` (default `file_search`) as a new agent version;
   * without it the file is a chat attachment.
   */
  @Post()
  @UseInterceptors(UploadErrorsInterceptor, FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        file: { type: 'string', format: 'binary', description: 'The file (at most FILE_MAX_BYTES)' },
        agent_id: { type: 'string', example: 'agent_V1StGXR8Z5jdHi6B-myT1', description: 'Attach to this agent' },
        tool_resource: { type: 'string', enum: [...TOOL_RESOURCES], description: 'Which tool resource' },
      },
    },
  })
  @ApiCreatedResponse({ type: FileResponseDto })
  @ApiErrors(400, 403, 404, 409)
  @ApiResponse({ status: 413, description: 'The file is over FILE_MAX_BYTES or the quota', type: ErrorResponseDto })
  @ApiResponse({
    status: 415,
    description: 'The content is not an accepted type or not the type its name says',
    type: ErrorResponseDto,
  })
  upload(
    @CurrentUser() user: AuthUser,
    @Upload() file: UploadedFile | undefined,
    @Body() dto: UploadFileDto,
  ): Promise<FileResponseDto> {
    return this.files.upload(user, file, dto);
  }

  /** The caller's files, newest first, cursor-paginated. */
  @Get()
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: PageQueryDto): Promise<FileListResponseDto> {
    return this.files.list(user, query);
  }

  /** The upload limits, the accepted types and how much of the quota the caller uses. */
  @Get('config')
  settings(@CurrentUser() user: AuthUser): Promise<FilesConfigResponseDto> {
    return this.files.settings(user);
  }

  /** The files an agent's tool_resources list, with their status (EDIT on the agent). */
  @Get('agent/:agentId')
  @ApiOkResponse({ type: [FileResponseDto] })
  @ApiErrors(403, 404)
  agentFiles(@CurrentUser() user: AuthUser, @Param('agentId') agentId: string): Promise<FileResponseDto[]> {
    return this.files.agentFilesOf(user, agentId);
  }

  /** One file: its owner's, or one an agent the caller may EDIT lists. */
  @Get(':id')
  @ApiErrors(400, 404)
  get(@CurrentUser() user: AuthUser, @Param() params: FileIdParamDto): Promise<FileResponseDto> {
    return this.files.get(user, params.id);
  }

  /** The file's bytes, as an attachment (images inline), with its detected type. */
  @Get(':id/content')
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The bytes', schema: { type: 'string', format: 'binary' } })
  @ApiErrors(400, 404)
  async content(
    @CurrentUser() user: AuthUser,
    @Param() params: FileIdParamDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const { file, data } = await this.files.download(user, params.id);
    res.setHeader('Content-Type', file.mimeType);
    res.setHeader('Content-Length', String(data.length));
    res.setHeader(
      'Content-Disposition',
      contentDisposition(isImage(file.mimeType) ? 'inline' : 'attachment', file.filename),
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    return new StreamableFile(data);
  }

  /** Deletes the caller's file, its bytes and chunks, and its id from every agent's tool_resources. */
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrors(400, 404)
  async remove(@CurrentUser() user: AuthUser, @Param() params: FileIdParamDto): Promise<void> {
    await this.files.remove(user, params.id);
  }
}
