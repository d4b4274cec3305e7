// e2e/ is no package (Playwright runs it from the repository root): lint it as a Node library,
// its files as tests.
module.exports =
  require('@backstage/cli/config/eslint-factory').createConfigForRole(
    __dirname,
    'node-library',
  );
