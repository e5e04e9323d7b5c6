// Variants of the k8s/ manifests that their comments tell users to make, done by code, so
// the tests can check that each leads to a working Pod (test/k8s, test/pod).

// Parsed YAML (schema-checked by test/k8s/manifests.test.ts).
type Obj = any;

/**
 * A collector without auth, as pod.yaml and deployment.yaml say: remove
 * TAILSHIP_AUTH_BEARER_TOKEN_FILE, the collector-auth mount and the collector-auth volume.
 * `spec` is a Pod spec; a copy is returned.
 */
export function withoutAuth(spec: Obj): Obj {
  const copy = structuredClone(spec);
  for (const c of [...(copy.initContainers ?? []), ...copy.containers]) {
    if (c.env) c.env = c.env.filter((e: Obj) => e.name !== 'TAILSHIP_AUTH_BEARER_TOKEN_FILE');
    if (c.volumeMounts) c.volumeMounts = c.volumeMounts.filter((m: Obj) => m.name !== 'collector-auth');
  }
  copy.volumes = copy.volumes.filter((v: Obj) => v.name !== 'collector-auth');
  return copy;
}
