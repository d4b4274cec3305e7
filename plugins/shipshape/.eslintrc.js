module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // apiView (src/__testUtils__/render.tsx): view.showsProgress() and view.showsError(...)
    // return whole tests, assertions included.
    'jest/expect-expect': [
      'warn',
      {
        assertFunctionNames: [
          'expect',
          'view.showsProgress',
          'view.showsError',
        ],
      },
    ],
  },
});
