import { InputError } from '@backstage/errors';
import { z } from 'zod';

/** Parses a JSON body with a zod schema; InputError naming each bad field. */
export function parseBody<T>(schema: z.ZodType<T, any, any>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    throw new InputError(
      `Invalid request body: ${result.error.issues
        .map(i => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return result.data;
}
