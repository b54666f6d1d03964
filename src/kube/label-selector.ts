// Kubernetes label selectors (`app=pi,tier in (a,b),!canary`), parsed once and matched against
// cached objects, so a `labelSelector` argument filters the watch cache with no API call.

export type Requirement =
  | { key: string; op: 'exists' }
  | { key: string; op: 'notExists' }
  | { key: string; op: 'in'; values: string[] }
  | { key: string; op: 'notIn'; values: string[] };

export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

// A qualified name with an optional DNS-subdomain prefix, as label keys are.
const KEY_PATTERN = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_PATTERN = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const MAX_VALUE_LENGTH = 63;

function checkKey(key: string): string {
  if (!KEY_PATTERN.test(key)) throw new LabelSelectorError(`invalid label key "${key}"`);
  return key;
}

function checkValue(value: string): string {
  if (value.length > MAX_VALUE_LENGTH || !VALUE_PATTERN.test(value)) {
    throw new LabelSelectorError(`invalid label value "${value}"`);
  }
  return value;
}

/** Splits on commas that are not inside a parenthesised value set. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (depth < 0) throw new LabelSelectorError(`unbalanced parentheses in "${selector}"`);
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (depth !== 0) throw new LabelSelectorError(`unbalanced parentheses in "${selector}"`);
  terms.push(current);
  return terms.map((t) => t.trim());
}

const SET_TERM = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/;
const EQUALITY_TERM = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/;

function parseTerm(term: string): Requirement {
  if (term === '') throw new LabelSelectorError('empty requirement in label selector');
  const set = SET_TERM.exec(term);
  if (set) {
    const [, key = '', op, list = ''] = set;
    const values = list.split(',').map((v) => checkValue(v.trim()));
    return { key: checkKey(key), op: op === 'in' ? 'in' : 'notIn', values };
  }
  const equality = EQUALITY_TERM.exec(term);
  if (equality) {
    const [, key = '', op, value = ''] = equality;
    return { key: checkKey(key), op: op === '!=' ? 'notIn' : 'in', values: [checkValue(value)] };
  }
  if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim()), op: 'notExists' };
  return { key: checkKey(term), op: 'exists' };
}

export function parseLabelSelector(selector: string): Requirement[] {
  if (selector.trim() === '') return [];
  return splitTerms(selector).map(parseTerm);
}

export function matchesLabels(requirements: readonly Requirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const set = labels ?? {};
  return requirements.every((r) => {
    const has = Object.hasOwn(set, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'notExists':
        return !has;
      case 'in':
        return has && r.values.includes(set[r.key] ?? '');
      case 'notIn':
        // As in Kubernetes, `key!=v` and `notin` also match objects without the label.
        return !has || !r.values.includes(set[r.key] ?? '');
    }
  });
}
