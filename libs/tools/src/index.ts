export * from './tool';
export * from './tool-registry';
export * from './tools.module';
export * from './mcp/mcp-manager';
export * from './image-generation/image-generation.tool';
export * from './code-interpreter/code-interpreter.tool';
export * from './file-search/file-search.tool';
