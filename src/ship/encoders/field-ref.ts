import { ExactNumber, jsonText } from '../../record/exact-number.js';
import { KUBERNETES_FIELDS, type KubernetesMeta } from '../../record/kubernetes-meta.js';
import type { LogRecord, RecordContext } from '../../record/log-record.js';

/**
 * A value taken from a record, written `$name` in settings like TAILSHIP_LOKI_LABELS
 * (`namespace=$kubernetes.namespace`). Resolved once against the process context where
 * it can be, so the per-line cost is only for what really varies per line.
 */
export type FieldRef =
  /** Known for the whole process (a literal, host, Kubernetes metadata, TAILSHIP_FIELDS). */
  | { readonly kind: 'constant'; readonly value: string | undefined }
  /** The path of the line's file: changes per file, not per line. */
  | { readonly kind: 'file' }
  | { readonly kind: 'offset' }
  | { readonly kind: 'id' }
  /** A field a parser extracted (`status`, `method`, or a dotted path into a nested one). */
  | { readonly kind: 'field'; readonly name: string; readonly path: readonly string[] };

/** `$kubernetes.*` references: the Pod's Downward API metadata, by reference name. */
export const KUBERNETES_REFS: ReadonlyMap<string, (k: KubernetesMeta) => string | undefined> = new Map(
  KUBERNETES_FIELDS.map((f) => [`kubernetes.${f.name}`, (k: KubernetesMeta) => k[f.key]]),
);

/** The syntax of a reference: `$` then a name with dots (`$kubernetes.pod`, `$status`). */
export const FIELD_REF_RE = /^\$[A-Za-z_@][\w.@-]*$/;

/**
 * Why a template (a literal, `$$text` or `$name`) cannot be used, or undefined when it
 * can: a `$` that does not start a reference, or a `$kubernetes.*` name that is not known.
 */
export function fieldRefProblem(template: string): string | undefined {
  if (template.startsWith('$') && !template.startsWith('$$') && !FIELD_REF_RE.test(template)) {
    return `"${template}" is not a field reference like $kubernetes.namespace or $status (write $$ for a literal $)`;
  }
  if (template.startsWith('$kubernetes.') && !KUBERNETES_REFS.has(template.slice(1))) {
    return `${template} is not known; use one of ${[...KUBERNETES_REFS.keys()].map((n) => `$${n}`).join(', ')}`;
  }
  return undefined;
}

/** Parses one template value: `$name` is a reference, `$$text` the literal `$text`, else a literal. */
export function parseFieldRef(template: string, ctx: RecordContext): FieldRef {
  if (template.startsWith('$$')) return { kind: 'constant', value: template.slice(1) };
  if (!template.startsWith('$')) return { kind: 'constant', value: template };
  const name = template.slice(1);
  const kubernetes = KUBERNETES_REFS.get(name);
  if (kubernetes) return { kind: 'constant', value: kubernetes(ctx.kubernetes) };
  switch (name) {
    case 'file':
      return { kind: 'file' };
    case 'offset':
      return { kind: 'offset' };
    case 'id':
      return { kind: 'id' };
    case 'host':
      return { kind: 'constant', value: ctx.host };
  }
  const field = ctx.fields.find(([key]) => key === name);
  if (field) return { kind: 'constant', value: field[1] };
  return { kind: 'field', name, path: name.split('.') };
}

/** The value of a reference for one record, as text; undefined when absent or empty. */
export function resolveFieldRef(ref: FieldRef, r: LogRecord): string | undefined {
  switch (ref.kind) {
    case 'constant':
      return ref.value || undefined;
    case 'file':
      return r.file || undefined;
    case 'offset':
      return String(r.offset);
    case 'id':
      return r.id;
    case 'field':
      return fieldText(lookupField(r.fields, ref));
  }
}

/** A parsed field by name: a flat key first (`user.agent` as one key), then a dotted path. */
export function lookupField(
  fields: Readonly<Record<string, unknown>> | undefined,
  ref: { readonly name: string; readonly path: readonly string[] },
): unknown {
  if (fields === undefined) return undefined;
  if (Object.hasOwn(fields, ref.name)) return fields[ref.name];
  if (ref.path.length < 2) return undefined;
  let v: unknown = fields;
  for (const key of ref.path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function fieldText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return v instanceof ExactNumber ? v.text : jsonText(v as object);
}
