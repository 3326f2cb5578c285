export * from './budget-gate';
export * from './price-table';
export * from './usage-counts';
export * from './usage-data.module';
export * from './usage-recorder';
export * from './usage.module';
export * from './usage.repository';
