import { parseEntityRef } from '@backstage/catalog-model';
import { useApiHolder } from '@backstage/core-plugin-api';
import { CatalogApi, catalogApiRef } from '@backstage/plugin-catalog-react';
import { Link, Text } from '@backstage/ui';
import { SHIPSHAPE_DEPLOY_TEMPLATE_REF } from '@shipshape/plugin-shipshape-common';
import { useEffect, useState } from 'react';
import { useDocsLink } from '../ShipshapeErrorPanel';

/** The deploy template's page in the scaffolder, which the Deploy link opens. */
const { namespace, name } = parseEntityRef(SHIPSHAPE_DEPLOY_TEMPLATE_REF);
export const DEPLOY_TEMPLATE_PATH = `/create/templates/${namespace}/${name}`;

/** One catalog request per catalog API (the page's), shared by every card that asks. */
const checks = new WeakMap<CatalogApi, Promise<boolean | undefined>>();

function checkDeployTemplate(catalogApi: CatalogApi) {
  let check = checks.get(catalogApi);
  if (!check) {
    check = catalogApi.getEntityByRef(SHIPSHAPE_DEPLOY_TEMPLATE_REF).then(
      entity => entity !== undefined,
      () => {
        // advisory: a failed check is not an answer, and the next card asks again
        checks.delete(catalogApi);
        return undefined;
      },
    );
    checks.set(catalogApi, check);
  }
  return check;
}

/**
 * Whether the catalog holds the deploy template: false only when the catalog says it does not;
 * undefined while it is asked, when it fails, without a catalog API, or when `enabled` is false.
 */
export function useDeployTemplateRegistered(enabled = true) {
  const catalogApi = useApiHolder().get(catalogApiRef);
  const [registered, setRegistered] = useState<boolean>();
  useEffect(() => {
    if (!catalogApi || !enabled) return undefined;
    let current = true;
    checkDeployTemplate(catalogApi).then(answer => {
      if (current) setRegistered(answer);
    });
    return () => {
      current = false;
    };
  }, [catalogApi, enabled]);
  return registered;
}

/** In place of the Deploy link when the catalog has no deploy template: what to add, and where. */
export function DeployTemplateMissing() {
  const { href, page } = useDocsLink('catalog.locations');
  const todo = 'add the Shipshape templates to catalog.locations';
  return (
    <Text as="p" variant="body-x-small" style={{ maxWidth: '24em' }}>
      Deploy template not registered:{' '}
      {href ? (
        <Link href={href} variant="body-x-small">
          {todo}
        </Link>
      ) : (
        `${todo} (${page} in the Shipshape docs)`
      )}
    </Text>
  );
}
