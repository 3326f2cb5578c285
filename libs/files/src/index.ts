export * from './processing';
export * from './search';
export * from './tool-files';
