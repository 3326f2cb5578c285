import { Module } from '@nestjs/common';
import { BudgetGate } from './budget-gate';
import { PriceTable } from './price-table';
import { UsageRecorder } from './usage-recorder';
import { UsageRepository } from './usage.repository';

/**
 * Usage as data, without HTTP: what the start path needs (BudgetGate) and what the worker needs
 * (UsageRecorder), over the price table and the usage tables.
 */
@Module({
  providers: [UsageRepository, PriceTable, BudgetGate, UsageRecorder],
  exports: [UsageRepository, PriceTable, BudgetGate, UsageRecorder],
})
export class UsageDataModule {}
