export * from './provider-registry';
export * from './providers.module';
