import { createMockActionContext as createContext } from '@backstage/plugin-scaffolder-node-test-utils';
import fs from 'fs';
import os from 'os';
import path from 'path';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

/**
 * createMockActionContext whose default workspace this test file removes when it ends. The
 * library's default (createMockDirectory) is left in /tmp whenever CI is set, as it is in
 * scripts/test.sh: one `backstage-tmp-test-dir-*` per call.
 */
export const createMockActionContext: typeof createContext = options => {
  if (options?.workspacePath) return createContext(options);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-action-test-'));
  roots.push(root);
  return createContext({
    ...options,
    workspacePath: path.join(root, 'workspace'),
  });
};

/**
 * A task's checkpoints as the scaffolder keeps them in the task state: set the same one as
 * `ctx.checkpoint` of two runs and the second (a retried task) gets the first's results
 * without running `fn` again.
 */
export function taskCheckpoints(): ReturnType<
  typeof createContext
>['checkpoint'] {
  const saved = new Map<string, unknown>();
  return (async ({ key, fn }: { key: string; fn: () => unknown }) => {
    if (!saved.has(key)) saved.set(key, await fn());
    return saved.get(key);
  }) as any;
}
