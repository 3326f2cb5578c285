import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '@agents/auth';
import { ApiErrors, ServiceUnavailableError } from '@agents/core';
import { RedisHealth } from './redis-health';

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
    private readonly redis: RedisHealth,
  ) {}

  /** The process is alive. */
  @Get()
  live(): LivenessDto {
    return { status: 'ok' };
  }

  /** Dependencies are reachable (the database and, when configured, Redis): 200 when ready, 503 otherwise. */
  @Get('ready')
  @ApiErrors(503)
  async ready(): Promise<HealthCheckResult> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check([() => this.db.pingCheck('database', { timeout: 2_000 })]);
    } catch {
      throw new ServiceUnavailableError('Not ready: the database is unreachable');
    }
    if (!this.redis.configured) return result;
    if (!(await this.redis.isUp())) throw new ServiceUnavailableError('Not ready: Redis is unreachable');
    const redis = { status: 'up' as const };
    return { ...result, info: { ...result.info, redis }, details: { ...result.details, redis } };
  }
}
