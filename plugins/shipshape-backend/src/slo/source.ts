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
import { withDeadline } from '../http/deadline';

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

/** The most slo-ref files kept at once (the least recently fetched go first). */
const MAX_CACHED_FILES = 1000;

/**
 * Reads `slo-ref` files: local files as they are, URLs through the UrlReader (the catalog's
 * integrations and tokens), each URL's text kept for `ttlMs` and then revalidated with its ETag,
 * so a card view or a fleet page does not fetch every file again. Failures are not kept. A fetch
 * (with its body) that takes longer than `timeoutMs` (default 10 s) is aborted and fails.
 */
export class SloFileReader {
  private readonly cache = new Map<
    string,
    { text: string; etag?: string; fetchedAt: number }
  >();

  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly reader: UrlReaderService,
    private readonly ttlMs: number,
    options: { timeoutMs?: number; now?: () => number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async read(where: { type: 'url' | 'file'; target: string }): Promise<string> {
    if (where.type === 'file') return readFile(where.target);
    const url = where.target;
    const hit = this.cache.get(url);
    if (hit && this.now() - hit.fetchedAt < this.ttlMs) return hit.text;
    let fetched;
    try {
      fetched = await withDeadline(
        `slo-ref file ${url} (shipshape.slo.fileTimeoutSeconds)`,
        this.timeoutMs,
        async signal => {
          const res = await this.reader.readUrl(url, {
            etag: hit?.etag,
            signal,
          });
          return { etag: res.etag, buf: await res.buffer() };
        },
      );
    } catch (e) {
      if (hit && (e as Error).name === 'NotModifiedError') {
        hit.fetchedAt = this.now();
        return hit.text;
      }
      throw e;
    }
    const { buf, etag } = fetched;
    if (buf.length > MAX_SLO_FILE_BYTES) {
      throw new Error(
        `is ${buf.length} bytes; at most ${MAX_SLO_FILE_BYTES} are read`,
      );
    }
    const text = buf.toString('utf8');
    this.cache.delete(url);
    this.cache.set(url, { text, etag, fetchedAt: this.now() });
    if (this.cache.size > MAX_CACHED_FILES) {
      this.cache.delete(this.cache.keys().next().value!);
    }
    return text;
  }
}

async function readFile(file: string): Promise<string> {
  if (!/\.ya?ml$/.test(file)) {
    throw new Error('must name a .yaml or .yml file');
  }
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new Error('file not found');
  if (stat.size > MAX_SLO_FILE_BYTES) {
    throw new Error(
      `is ${stat.size} bytes; at most ${MAX_SLO_FILE_BYTES} are read`,
    );
  }
  return fs.readFile(file, 'utf8');
}

/** Reads an entity's SLOs from its inline annotation and/or the OpenSLO file it references. */
export async function loadEntitySlos(
  entity: Entity,
  files: SloFileReader,
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
        const text = await files.read(where);
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
