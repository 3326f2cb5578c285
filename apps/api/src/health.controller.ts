import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '@agents/auth';
import { ApiErrors, ServiceUnavailableError } from '@agents/core';

export class LivenessDto {
  /** @example "ok" */
  status!: 'ok';
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
  ) {}

  /** The process is alive. */
  @Get()
  live(): LivenessDto {
    return { status: 'ok' };
  }

  /** Dependencies are reachable: 200 when ready to serve, 503 otherwise. */
  @Get('ready')
  @ApiErrors(503)
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.db.pingCheck('database', { timeout: 2_000 })]);
    } catch {
      throw new ServiceUnavailableError('Not ready: the database is unreachable');
    }
  }
}
