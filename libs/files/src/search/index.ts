export * from './file-search';
