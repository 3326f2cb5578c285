export * from './tool-registry';
export * from './tools.module';
