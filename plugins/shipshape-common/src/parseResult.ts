/**
 * A parser's answer: a typed value, or a precise error that says what was wrong.
 *
 * @public
 */
export type ParseResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: string };
