export * from './processing';
export * from './search';
