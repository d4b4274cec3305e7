import { expect, test } from '@playwright/test';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { openAsGuest, screenshot } from './helpers';

/** kubectl against the local stack's cluster as its admin (what a release workflow would do). */
function kubectl(...args: string[]): string {
  const stack = JSON.parse(
    fs.readFileSync(path.resolve(__dirname, '../.stack/stack.json'), 'utf8'),
  );
  return execFileSync(
    stack.kubernetes.kubectl,
    ['--kubeconfig', stack.kubernetes.adminKubeconfig, ...args],
    { encoding: 'utf8' },
  );
}

const REPO = 'registry.example.test/shipshape/payments-api';

// A rollout of an image by a moving tag is complete in Kubernetes' eyes, but what runs can change
// under the same name. The portal's own deploy refuses ':latest', so the workload gets it from
// outside (a release workflow, kubectl): the Rollout card shows it as a warning, not a green
// "complete".
test('the Rollout card flags a workload running a mutable tag such as latest', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const image = () =>
    kubectl(
      '-n',
      'staging',
      'get',
      'deployment/payments-api',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
  const release = image();
  expect(release).toMatch(new RegExp(`^${REPO}:`));
  await openAsGuest(page, '/catalog/default/component/payments-api');
  const staging = page.getByRole('region', { name: 'environment staging' });
  await expect(staging.getByText(/^rev \d+ \(/).first()).toBeVisible();
  // the demo's release runs a version tag: no flag
  await expect(staging.getByText(/^Mutable image tag/)).toHaveCount(0);

  kubectl(
    '-n',
    'staging',
    'set',
    'image',
    'deployment/payments-api',
    `app=${REPO}:latest`,
  );
  try {
    kubectl(
      '-n',
      'staging',
      'rollout',
      'status',
      'deployment/payments-api',
      '--timeout=60s',
    );
    await page.reload();
    await expect(staging.getByText(/^rev \d+ \(latest\)$/)).toBeVisible();
    await expect(
      staging.getByText(
        `Mutable image tag: ${REPO}:latest (tag latest moves); deploy by version or digest`,
      ),
    ).toBeVisible();
    // the phase is shown as a warning, not the green "complete" it was (in the workload's row:
    // the last operation below it, e.g. another test's deploy, has its own status)
    const workload = staging
      .getByRole('row')
      .filter({ hasText: 'Mutable image tag' });
    await expect(workload.getByLabel('Status warning')).toHaveText('complete');
    await expect(workload.getByLabel('Status ok')).toHaveCount(0);
    await staging.scrollIntoViewIfNeeded();
    await screenshot(page, 'rollout-mutable-tag');
  } finally {
    // put the demo back on its release
    kubectl(
      '-n',
      'staging',
      'set',
      'image',
      'deployment/payments-api',
      `app=${release}`,
    );
    kubectl(
      '-n',
      'staging',
      'rollout',
      'status',
      'deployment/payments-api',
      '--timeout=60s',
    );
  }
});
