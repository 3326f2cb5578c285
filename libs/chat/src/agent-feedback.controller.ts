import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequireAgentPermission } from '@agents/agents';
import { ApiErrors } from '@agents/core';
import { AgentFeedbackDto } from './dto/message-edits.dto';
import { MessagesService } from './messages.service';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('agents')
export class AgentFeedbackController {
  constructor(private readonly messages: MessagesService) {}

  /**
   * How users rated the agent's answers (EDIT on the agent): thumbs up and down and the reasons
   * given, per agent version. Counts only: never who rated, nor their comments.
   */
  @Get(':id/feedback')
  @RequireAgentPermission('edit')
  @ApiErrors(403, 404)
  agentFeedback(@Param('id') id: string): Promise<AgentFeedbackDto> {
    return this.messages.agentFeedback(id);
  }
}
