export * from './generated-files';
export * from './tool-files.factory';
export * from './tool-files.module';
export * from './tool-files.repository';
