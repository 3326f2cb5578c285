export * from './agent-snapshot';
export * from './agent-version.entity';
export * from './versions.module';
export * from './versions.repository';
