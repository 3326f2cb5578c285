export * from './file-search';
export * from './file-search.module';
