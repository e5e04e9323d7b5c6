/** The Pod's metadata, from the Downward API (K8S_* variables and TAILSHIP_SOURCE_CONTAINER). */
export interface KubernetesMeta {
  readonly pod?: string | undefined;
  readonly namespace?: string | undefined;
  readonly node?: string | undefined;
  readonly podIp?: string | undefined;
  readonly container?: string | undefined;
}

/** One field of KubernetesMeta and the names it goes by. */
export interface KubernetesField {
  readonly key: keyof KubernetesMeta;
  /** Its name in a record (`kubernetes.<name>`), a `$kubernetes.<name>` reference and Splunk's indexed fields. */
  readonly name: string;
  /** Its OpenTelemetry semantic-convention attribute, in the OTLP resource. */
  readonly otel: string;
}

/**
 * Every field, in the order records carry them. The record, the OTLP resource, Splunk's
 * indexed fields and `$kubernetes.*` references all read this list, so a field added
 * here reaches every protocol.
 */
export const KUBERNETES_FIELDS: readonly KubernetesField[] = [
  { key: 'pod', name: 'pod', otel: 'k8s.pod.name' },
  { key: 'namespace', name: 'namespace', otel: 'k8s.namespace.name' },
  { key: 'node', name: 'node', otel: 'k8s.node.name' },
  { key: 'podIp', name: 'pod_ip', otel: 'k8s.pod.ip' },
  { key: 'container', name: 'container', otel: 'k8s.container.name' },
];

/** The fields that are set (empty counts as unset), in list order, with their values. */
export function kubernetesValues(meta: KubernetesMeta): Array<KubernetesField & { readonly value: string }> {
  const out: Array<KubernetesField & { readonly value: string }> = [];
  for (const f of KUBERNETES_FIELDS) {
    const value = meta[f.key];
    if (value) out.push({ ...f, value });
  }
  return out;
}
