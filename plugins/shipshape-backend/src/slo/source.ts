import { UrlReaderService } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  Entity,
  parseLocationRef,
} from '@backstage/catalog-model';
import {
  ECOSYSTEM_ANNOTATIONS,
  MAX_SLO_FILE_BYTES,
  SHIPSHAPE_ANNOTATIONS,
  Slo,
  formatSloError,
  parseOpenSlo,
  readAnnotation,
  slosFromInline,
} from '@shipshape/plugin-shipshape-common';
import fs from 'fs/promises';
import path from 'path';

export interface EntitySloDefinitions {
  /** Whether the entity declares SLOs at all (either annotation). */
  declared: boolean;
  slos: Slo[];
  /** Precise problems with the declarations (file, document, field). */
  errors: string[];
  /** The `service` label value the entity's alerts and inline SLOs use. */
  service: string;
}

/** The value of the `service` label for an entity: its kubernetes-id, else its name. */
export function serviceOf(entity: Entity): string {
  return (
    entity.metadata.annotations?.[ECOSYSTEM_ANNOTATIONS.kubernetesId] ??
    entity.metadata.name
  );
}

/**
 * Where an `slo-ref` points, given the entity's `backstage.io/managed-by-location`:
 * an absolute http(s) URL as is, else resolved against the location (URL or file).
 */
export function resolveSloRef(
  entity: Entity,
  ref: string,
): { type: 'url'; target: string } | { type: 'file'; target: string } {
  if (/^https?:\/\//.test(ref)) return { type: 'url', target: ref };
  const location = entity.metadata.annotations?.[ANNOTATION_LOCATION];
  if (!location) {
    throw new Error(
      `${SHIPSHAPE_ANNOTATIONS.sloRef.name} is relative but the entity has no ${ANNOTATION_LOCATION} annotation`,
    );
  }
  const { type, target } = parseLocationRef(location);
  if (type === 'file') {
    return { type: 'file', target: path.resolve(path.dirname(target), ref) };
  }
  if (type === 'url') {
    return { type: 'url', target: new URL(ref, target).toString() };
  }
  throw new Error(`cannot resolve ${ref} against a location of type ${type}`);
}

async function readRef(
  reader: UrlReaderService,
  where: { type: 'url' | 'file'; target: string },
): Promise<string> {
  if (where.type === 'file') {
    if (!/\.ya?ml$/.test(where.target)) {
      throw new Error('must name a .yaml or .yml file');
    }
    const stat = await fs.stat(where.target).catch(() => undefined);
    if (!stat?.isFile()) throw new Error('file not found');
    if (stat.size > MAX_SLO_FILE_BYTES) {
      throw new Error(
        `is ${stat.size} bytes; at most ${MAX_SLO_FILE_BYTES} are read`,
      );
    }
    return fs.readFile(where.target, 'utf8');
  }
  const res = await reader.readUrl(where.target);
  const buf = await res.buffer();
  if (buf.length > MAX_SLO_FILE_BYTES) {
    throw new Error(
      `is ${buf.length} bytes; at most ${MAX_SLO_FILE_BYTES} are read`,
    );
  }
  return buf.toString('utf8');
}

/** Reads an entity's SLOs from its inline annotation and/or the OpenSLO file it references. */
export async function loadEntitySlos(
  entity: Entity,
  reader: UrlReaderService,
): Promise<EntitySloDefinitions> {
  const service = serviceOf(entity);
  const result: EntitySloDefinitions = {
    declared: false,
    slos: [],
    errors: [],
    service,
  };
  const inline = readAnnotation(entity, 'slo');
  if (inline) {
    result.declared = true;
    if (inline.ok) {
      result.slos.push(
        ...slosFromInline(
          inline.value,
          service,
          SHIPSHAPE_ANNOTATIONS.slo.name,
        ),
      );
    } else result.errors.push(inline.error);
  }
  const ref = readAnnotation(entity, 'sloRef');
  if (ref) {
    result.declared = true;
    if (!ref.ok) result.errors.push(ref.error);
    else {
      const name = `${SHIPSHAPE_ANNOTATIONS.sloRef.name} ${ref.value}`;
      try {
        const where = resolveSloRef(entity, ref.value);
        const text = await readRef(reader, where);
        const parsed = parseOpenSlo(text, ref.value);
        result.errors.push(...parsed.errors.map(formatSloError));
        for (const slo of parsed.slos) {
          if (result.slos.some(s => s.name === slo.name)) {
            result.errors.push(
              `${slo.source}: metadata.name: SLO "${slo.name}" is also declared by ${SHIPSHAPE_ANNOTATIONS.slo.name}`,
            );
          } else result.slos.push(slo);
        }
      } catch (e) {
        result.errors.push(`${name}: cannot be read: ${(e as Error).message}`);
      }
    }
  }
  return result;
}
