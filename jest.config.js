/** Three tiers: unit (mocks only), integration (real PostgreSQL), e2e (the real app over HTTP). */
const moduleNameMapper = {
  '^@agents/(core|auth|acl|chat|jobs|agents|versions|providers|tools|streaming|openai-compat|generation|files|usage)$':
    '<rootDir>/libs/$1/src',
  '^@agents/(core|auth|acl|chat|jobs|agents|versions|providers|tools|streaming|openai-compat|generation|files|usage)/(.*)$':
    '<rootDir>/libs/$1/src/$2',
  // Test support for specs (never for production code: eslint.config.mjs forbids it there).
  '^@agents/testing/(.*)$': '<rootDir>/test/support/$1',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
};
const common = {
  rootDir: __dirname,
  testEnvironment: '<rootDir>/test/support/node-environment.js',
  setupFiles: ['reflect-metadata'],
  moduleNameMapper,
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  ...common,
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
