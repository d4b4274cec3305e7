import { spec } from '../openapi';

type Schema = Record<string, any>;

function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const parts = String(schema.$ref).replace(/^#\//, '').split('/');
  return resolve(parts.reduce((node: any, key) => node[key], spec as any));
}

/**
 * Where `value` does not match `schema` (types, required properties, enums, items, allOf,
 * oneOf with its discriminator, $ref): enough to keep the hand-written response schemas of openapi.yaml honest in tests.
 */
export function mismatches(value: unknown, schema: Schema, at = '$'): string[] {
  const s = resolve(schema);
  const errors: string[] = [];
  for (const part of s.allOf ?? []) errors.push(...mismatches(value, part, at));
  if (s.oneOf) {
    // A discriminated union: the alternative its property names; else any one that matches.
    const tag = s.discriminator?.propertyName;
    const mapped = tag && s.discriminator.mapping?.[(value as any)?.[tag]];
    if (mapped) return [...errors, ...mismatches(value, { $ref: mapped }, at)];
    const tried = (s.oneOf as Schema[]).map(alt => mismatches(value, alt, at));
    if (!tried.some(e => e.length === 0)) {
      errors.push(
        `${at}: matches none of oneOf (${tried.map(e => e[0]).join('; ')})`,
      );
    }
  }
  if (s.enum && !s.enum.includes(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${s.enum}`);
  }
  const type = Array.isArray(value) ? 'array' : typeof value;
  switch (s.type) {
    case 'object':
      if (type !== 'object' || value === null) {
        return [...errors, `${at}: expected an object, got ${type}`];
      }
      for (const key of s.required ?? []) {
        if ((value as any)[key] === undefined)
          errors.push(`${at}.${key}: missing`);
      }
      for (const [key, sub] of Object.entries<Schema>(s.properties ?? {})) {
        const v = (value as any)[key];
        if (v !== undefined) errors.push(...mismatches(v, sub, `${at}.${key}`));
      }
      break;
    case 'array':
      if (type !== 'array')
        return [...errors, `${at}: expected an array, got ${type}`];
      (value as unknown[]).forEach((v, i) =>
        errors.push(...mismatches(v, s.items ?? {}, `${at}[${i}]`)),
      );
      break;
    case 'integer':
      if (!Number.isInteger(value))
        errors.push(`${at}: expected an integer, got ${JSON.stringify(value)}`);
      break;
    case 'number':
    case 'string':
    case 'boolean':
      if (type !== s.type)
        errors.push(`${at}: expected ${s.type}, got ${type}`);
      break;
    default:
  }
  return errors;
}

/** The mismatches of a response body with the document's schema for that route and status. */
export function responseMismatches(
  body: unknown,
  path: string,
  method: string,
  status: number,
): string[] {
  const operation = (spec.paths as any)[path]?.[method];
  if (!operation) return [`${method} ${path} is not in openapi.yaml`];
  const response = resolve(operation.responses?.[String(status)] ?? {});
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return [`${method} ${path} has no JSON schema for ${status}`];
  return mismatches(body, schema);
}
