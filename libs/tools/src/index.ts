export * from './tool';
export * from './tool-registry';
export * from './tools.module';
export * from './mcp/mcp-manager';
export * from './file-search/file-search.tool';
