import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';

const CHECKED_KINDS = new Set(['component', 'resource', 'system', 'api']);

/** `warn` keeps the entity and leaves its violations to the API and the card; `enforce` fails processing. */
export type PolicyMode = 'warn' | 'enforce';

/**
 * Checks that every Shipshape annotation an entity carries parses. In `enforce` mode each one
 * that does not is a processing error naming the entity, the annotation and what was expected;
 * in `warn` mode the entity is kept as it is (a processing error would keep a new entity out of
 * the catalog altogether) and the cards show the same violations.
 */
export class ShipshapeContractProcessor implements CatalogProcessor {
  constructor(private readonly mode: PolicyMode) {}

  getProcessorName(): string {
    return 'ShipshapeContractProcessor';
  }

  async validateEntityKind(_entity: Entity): Promise<boolean> {
    return false;
  }

  async preProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (
      this.mode !== 'enforce' ||
      !CHECKED_KINDS.has(entity.kind.toLocaleLowerCase('en-US'))
    ) {
      return entity;
    }
    const annotations = entity.metadata.annotations ?? {};
    for (const spec of Object.values(SHIPSHAPE_ANNOTATIONS)) {
      const raw = annotations[spec.name];
      if (raw === undefined) continue;
      const result = spec.parse(raw);
      if (!result.ok) {
        emit(
          processingResult.inputError(
            location,
            `${stringifyEntityRef(entity)}: ${result.error}`,
          ),
        );
      }
    }
    return entity;
  }
}
