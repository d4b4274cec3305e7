export * from './types';
export * from './promql';
export * from './openslo';
export * from './inline';
export * from './rules';
export * from './api';
export * from './render';
export * from './analysis';
