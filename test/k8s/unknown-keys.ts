// Finds keys that the Kubernetes schema does not define. kubernetes-models validates
// types and required fields but, like the OpenAPI schemas it is generated from, lets
// unknown keys through, so a typo such as `readOnlyRootFileSystem` passes while the API
// server drops or rejects it.
//
// The validators are compiled JSON-schema code that reads each property the schema
// defines (`data.image`, `data.env`, ...). Running the model's own validate() on a Proxy
// of the manifest records, per object, the keys it read: a key present in the manifest
// that the validator never read is not in the schema. Objects the validator enumerates
// (maps such as labels, ConfigMap data, resource limits) take any key and are skipped.
// Arrays are walked through their elements.

type Validator = { prototype: { validate(): void } };

interface Seen {
  readonly path: string;
  readonly target: object;
  readonly reads: Set<string>;
  enumerated: boolean;
}

/** Paths (like `.spec.containers[1].imagePullPolcy`) of keys the schema does not define. */
export function unknownKeys(model: Validator, manifest: object): string[] {
  const seen = new Map<object, Seen>();
  const proxies = new WeakMap<object, object>();

  const wrap = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const cached = proxies.get(value);
    if (cached) return cached;
    const record: Seen = { path, target: value, reads: new Set(), enumerated: false };
    seen.set(value, record);
    const isArray = Array.isArray(value);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const child = Reflect.get(target, key, receiver) as unknown;
        if (typeof key !== 'string' || !Object.hasOwn(target, key)) return child;
        record.reads.add(key);
        return wrap(child, isArray ? `${path}[${key}]` : `${path}.${key}`);
      },
      has(target, key) {
        if (typeof key === 'string') record.reads.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        record.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };

  try {
    model.prototype.validate.call(wrap(structuredClone(manifest), ''));
  } catch {
    // Type errors are reported by the plain validate(); only the reads matter here.
  }

  const unknown: string[] = [];
  for (const { path, target, reads, enumerated } of seen.values()) {
    if (Array.isArray(target) || enumerated) continue;
    for (const key of Object.keys(target)) if (!reads.has(key)) unknown.push(`${path}.${key}`);
  }
  // A nested object the validator never reached (under an unknown key) is not listed:
  // its parent key already is.
  return unknown.sort();
}
