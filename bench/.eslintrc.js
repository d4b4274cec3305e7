// bench/ is no package (the benches run as Jest files of plugins/shipshape-backend): lint it as
// a Node library, its files as tests.
module.exports =
  require('@backstage/cli/config/eslint-factory').createConfigForRole(
    __dirname,
    'node-library',
  );
