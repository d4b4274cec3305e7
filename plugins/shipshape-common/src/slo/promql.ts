/**
 * The only PromQL Shipshape builds from user input: a single vector selector, parsed into
 * its parts and printed back with every string escaped. Anything else is refused, so no
 * annotation, label value or OpenSLO query can smuggle PromQL into a query or rule.
 */

/** @public */
export type MatchOp = '=' | '!=' | '=~' | '!~';

/** @public */
export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** @public */
export interface VectorSelector {
  metric: string;
  matchers: LabelMatcher[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** @public */
export function isMetricName(s: string): boolean {
  return METRIC_NAME.test(s);
}

/** @public */
export function isLabelName(s: string): boolean {
  return LABEL_NAME.test(s);
}

/**
 * A PromQL double-quoted string literal for any value: backslash, quote and newlines escaped.
 *
 * @public
 */
export function promString(value: string): string {
  let out = '"';
  for (const ch of value) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default: {
        const code = ch.codePointAt(0)!;
        out +=
          code < 0x20 || code === 0x7f
            ? `\\x${code.toString(16).padStart(2, '0')}`
            : ch;
      }
    }
  }
  return `${out}"`;
}

/**
 * Prints a selector; label names are validated again, values always escaped.
 *
 * @public
 */
export function renderSelector(sel: VectorSelector): string {
  if (!isMetricName(sel.metric)) {
    throw new Error(`invalid metric name "${sel.metric}"`);
  }
  const parts = sel.matchers.map(m => {
    if (!isLabelName(m.name)) throw new Error(`invalid label name "${m.name}"`);
    if (!['=', '!=', '=~', '!~'].includes(m.op)) {
      throw new Error(`invalid matcher operator "${m.op}"`);
    }
    return `${m.name}${m.op}${promString(m.value)}`;
  });
  return parts.length ? `${sel.metric}{${parts.join(',')}}` : sel.metric;
}

/**
 * Adds or replaces equality matchers (e.g. `le`), keeping the others.
 *
 * @public
 */
export function withMatchers(
  sel: VectorSelector,
  extra: LabelMatcher[],
): VectorSelector {
  const names = new Set(extra.map(m => m.name));
  return {
    metric: sel.metric,
    matchers: [...sel.matchers.filter(m => !names.has(m.name)), ...extra],
  };
}

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  ws() {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) {
      this.pos++;
    }
  }
  peek(s: string) {
    this.ws();
    return this.text.startsWith(s, this.pos);
  }
  eat(s: string) {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }
  expect(s: string, what: string) {
    if (!this.eat(s)) throw this.error(`expected ${what}`);
  }
  ident(re: RegExp) {
    this.ws();
    const m = re.exec(this.text.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }
  error(msg: string) {
    return new Error(`${msg} at character ${this.pos + 1}`);
  }
  string(): string {
    this.ws();
    const quote = this.text[this.pos];
    if (quote !== '"' && quote !== "'" && quote !== '`') {
      throw this.error('expected a quoted label value');
    }
    this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos++];
      if (ch === quote) return out;
      if (quote !== '`' && ch === '\\') {
        const e = this.text[this.pos++];
        const simple: Record<string, string> = {
          n: '\n',
          t: '\t',
          r: '\r',
          '\\': '\\',
          '"': '"',
          "'": "'",
        };
        if (e in simple) out += simple[e];
        else if (e === 'x' || e === 'u') {
          const len = e === 'x' ? 2 : 4;
          const hex = this.text.slice(this.pos, this.pos + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) {
            throw this.error('invalid escape in label value');
          }
          out += String.fromCodePoint(parseInt(hex, 16));
          this.pos += len;
        } else throw this.error(`invalid escape "\\${e ?? ''}" in label value`);
      } else if (ch === '\n' && quote !== '`') {
        throw this.error('newline inside a label value');
      } else out += ch;
    }
    throw this.error('unterminated label value');
  }
}

function parseSelectorAt(c: Cursor): VectorSelector {
  const metric = c.ident(/^[a-zA-Z_:][a-zA-Z0-9_:]*/);
  const matchers: LabelMatcher[] = [];
  let name = metric;
  if (c.eat('{')) {
    while (!c.eat('}')) {
      const label = c.ident(/^[a-zA-Z_][a-zA-Z0-9_]*/);
      if (!label) throw c.error('expected a label name');
      c.ws();
      const op = (['=~', '!~', '!=', '='] as MatchOp[]).find(o => c.eat(o));
      if (!op) throw c.error(`expected =, !=, =~ or !~ after "${label}"`);
      const value = c.string();
      if (label === '__name__' && op === '=') {
        if (name) throw c.error('metric name given twice');
        name = value;
      } else matchers.push({ name: label, op, value });
      if (!c.eat(',')) {
        c.expect('}', '"," or "}"');
        break;
      }
    }
  }
  if (!name || !isMetricName(name)) {
    throw c.error('expected a metric name');
  }
  return { metric: name, matchers };
}

/**
 * Parses what an OpenSLO Prometheus query may be for a counter: a vector selector,
 * optionally wrapped in `sum(...)` (the form the templates write). Functions, ranges,
 * offsets, operators and anything else are refused with the reason.
 *
 * @public
 */
export function parseCounterQuery(query: string): VectorSelector {
  const c = new Cursor(query);
  let wrapped = false;
  if (c.peek('sum') && /^sum\s*\(/.test(query.slice(c.pos))) {
    c.eat('sum');
    c.expect('(', '"("');
    wrapped = true;
  }
  const sel = parseSelectorAt(c);
  if (c.peek('[')) {
    throw c.error(
      'a range selector is not allowed (Shipshape adds rate(...[window]) itself)',
    );
  }
  if (wrapped) c.expect(')', '")" closing sum(');
  c.ws();
  if (c.pos !== query.length) {
    throw c.error(
      'only a vector selector, optionally inside sum(...), is allowed; unexpected text',
    );
  }
  return sel;
}
