import { Entity } from '@backstage/catalog-model';
import {
  ECOSYSTEM_ANNOTATIONS,
  SHIPSHAPE_ANNOTATIONS,
} from '@shipshape/plugin-shipshape-common';

/**
 * Whether an entity page shows the DR Readiness card: every entity naming a backup target, and
 * every component that is a service or that the DR overview lists (it declares a tier or runs in
 * a cluster: backstage.io/kubernetes-id). So a production service with no backup target shows the
 * card, failing, with the fix, instead of nothing.
 */
export function showsDrReadiness(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  if (annotations[SHIPSHAPE_ANNOTATIONS.backupTarget.name] !== undefined) {
    return true;
  }
  if (entity.kind.toLocaleLowerCase('en-US') !== 'component') return false;
  return (
    entity.spec?.type === 'service' ||
    annotations[SHIPSHAPE_ANNOTATIONS.tier.name] !== undefined ||
    annotations[ECOSYSTEM_ANNOTATIONS.kubernetesId] !== undefined
  );
}
