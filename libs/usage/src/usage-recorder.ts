import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CteWrites } from '@agents/core';
import { PriceTable } from './price-table';
import { usageCountsFrom, type UsageCounts } from './usage-counts';
import { UsageRepository, type UsageEntry } from './usage.repository';

/** A finished generation, as the worker knows it. */
export interface FinishedGeneration {
  id: string;
  userId: string;
  apiKeyId?: string | null;
  agentId: string;
  agentVersion: number;
  provider: string;
  model: string;
  /** What the provider reported; undefined when no call reported usage (nothing is recorded then). */
  usage?: Parameters<typeof usageCountsFrom>[0];
  at: Date;
}

/**
 * Records what each generation used and cost (the worker calls it as it stores the answer), and
 * releases its budget reservation either way.
 */
@Injectable()
export class UsageRecorder {
  constructor(
    private readonly usage: UsageRepository,
    private readonly prices: PriceTable,
  ) {}

  /** Records the usage (in `m`'s transaction when given); idempotent per generation id. */
  async record(generation: FinishedGeneration, m?: EntityManager): Promise<void> {
    if (!generation.usage) await this.usage.release(generation.id, m);
    else await this.usage.record(this.entryOf(generation, generation.usage), m);
  }

  /**
   * The same as writes another statement carries (the answer's, so the answer and its usage are
   * stored together): the usage recorded, or only the reservation released when no call reported any.
   */
  writes(generation: FinishedGeneration): CteWrites {
    if (!generation.usage) return this.usage.releaseWrites(generation.id);
    return this.usage.recordWrites(this.entryOf(generation, generation.usage));
  }

  private entryOf(generation: FinishedGeneration, reported: NonNullable<FinishedGeneration['usage']>): UsageEntry {
    const usage: UsageCounts = usageCountsFrom(reported);
    return {
      id: generation.id,
      userId: generation.userId,
      apiKeyId: generation.apiKeyId ?? null,
      agentId: generation.agentId,
      agentVersion: generation.agentVersion,
      provider: generation.provider,
      model: generation.model,
      usage,
      cost: this.prices.cost(generation.provider, generation.model, usage),
      at: generation.at,
    };
  }
}
