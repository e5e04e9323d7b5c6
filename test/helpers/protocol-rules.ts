// Each collector protocol's own rules, checked on a request body the way the collector
// would read it. Used by the encoders' golden tests and by the protocol receivers of the
// end-to-end tests. Each returns the problems found (empty: the body is valid).

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DECIMAL = /^-?\d+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Loki push API (JSON): streams with valid labels, `[ns string, line (, metadata)]` values in time order. */
export function lokiPushProblems(body: string): string[] {
  const problems: string[] = [];
  let push: unknown;
  try {
    push = JSON.parse(body);
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
  if (!isObject(push) || !Array.isArray(push['streams'])) return ['no streams array'];
  const streams = push['streams'] as unknown[];
  if (streams.length === 0) problems.push('no streams');
  const seen = new Set<string>();
  streams.forEach((s, i) => {
    if (!isObject(s) || !isObject(s['stream']) || !Array.isArray(s['values'])) {
      problems.push(`stream ${i}: needs "stream" object and "values" array`);
      return;
    }
    const labels = s['stream'];
    const names = Object.keys(labels);
    if (names.length === 0) problems.push(`stream ${i}: no labels`);
    for (const name of names) {
      if (!LABEL_NAME.test(name) || name.startsWith('__')) problems.push(`stream ${i}: invalid label name ${name}`);
      const v = labels[name];
      if (typeof v !== 'string' || v === '') problems.push(`stream ${i}: label ${name} must be a non-empty string`);
    }
    const key = JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) problems.push(`stream ${i}: label set repeated in one push`);
    seen.add(key);
    let previous = -1n;
    (s['values'] as unknown[]).forEach((v, j) => {
      if (!Array.isArray(v) || v.length < 2 || v.length > 3) {
        problems.push(`stream ${i} value ${j}: must be [ts, line] or [ts, line, metadata]`);
        return;
      }
      const [ts, line, meta] = v as [unknown, unknown, unknown];
      if (typeof ts !== 'string' || !/^\d+$/.test(ts)) {
        problems.push(`stream ${i} value ${j}: timestamp must be a string of nanoseconds`);
        return;
      }
      if (ts.length !== 19) problems.push(`stream ${i} value ${j}: ${ts} is not a nanosecond time of this era`);
      const n = BigInt(ts);
      if (n < previous) problems.push(`stream ${i} value ${j}: out of time order`);
      previous = n;
      if (typeof line !== 'string') problems.push(`stream ${i} value ${j}: line must be a string`);
      if (v.length === 3) {
        if (!isObject(meta)) problems.push(`stream ${i} value ${j}: structured metadata must be an object`);
        else for (const [k, mv] of Object.entries(meta)) {
          if (typeof mv !== 'string') problems.push(`stream ${i} value ${j}: metadata ${k} must be a string`);
        }
      }
    });
  });
  return problems;
}

/** Elasticsearch `_bulk`: action/document line pairs, `create` with `_id`, final newline. */
export function bulkProblems(body: string): string[] {
  const problems: string[] = [];
  if (!body.endsWith('\n')) problems.push('body does not end with a newline');
  const lines = body.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) problems.push('empty bulk');
  if (lines.length % 2 !== 0) problems.push(`odd number of lines (${lines.length}): actions and documents must pair`);
  for (let i = 0; i + 1 < lines.length; i += 2) {
    let action: unknown;
    let doc: unknown;
    try {
      action = JSON.parse(lines[i]!);
      doc = JSON.parse(lines[i + 1]!);
    } catch (error) {
      problems.push(`pair ${i / 2}: not JSON: ${(error as Error).message}`);
      continue;
    }
    if (!isObject(action) || Object.keys(action).length !== 1 || !isObject(action['create'])) {
      problems.push(`pair ${i / 2}: action must be {"create":{…}}`);
      continue;
    }
    const meta = action['create'];
    if (typeof meta['_id'] !== 'string' || meta['_id'] === '') problems.push(`pair ${i / 2}: no _id`);
    if (meta['_index'] !== undefined && (typeof meta['_index'] !== 'string' || /[A-Z\\/*?"<>| ,#]/.test(meta['_index']))) {
      problems.push(`pair ${i / 2}: invalid _index ${String(meta['_index'])}`);
    }
    if (!isObject(doc)) problems.push(`pair ${i / 2}: document must be an object`);
  }
  return problems;
}

const ANY_VALUE_KEYS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];

function anyValueProblems(v: unknown, where: string, problems: string[]): void {
  if (!isObject(v)) {
    problems.push(`${where}: AnyValue must be an object`);
    return;
  }
  const keys = Object.keys(v);
  // common.proto: "It is valid for all values to be unspecified in which case this
  // AnyValue is considered to be 'empty'" — `{}`, how a null in an array is sent.
  if (keys.length === 0) return;
  if (keys.length !== 1 || !ANY_VALUE_KEYS.includes(keys[0]!)) {
    problems.push(`${where}: AnyValue must have at most one of ${ANY_VALUE_KEYS.join('|')}, has ${keys.join(',')}`);
    return;
  }
  const val = v[keys[0]!];
  switch (keys[0]) {
    case 'stringValue':
      if (typeof val !== 'string') problems.push(`${where}: stringValue must be a string`);
      break;
    case 'boolValue':
      if (typeof val !== 'boolean') problems.push(`${where}: boolValue must be a boolean`);
      break;
    case 'intValue':
      if (typeof val !== 'string' || !DECIMAL.test(val)) problems.push(`${where}: intValue (int64) must be a decimal string`);
      break;
    case 'doubleValue':
      if (typeof val !== 'number' && !['NaN', 'Infinity', '-Infinity'].includes(val as string)) {
        problems.push(`${where}: doubleValue must be a number`);
      }
      break;
    case 'arrayValue':
      if (!isObject(val) || !Array.isArray(val['values'])) problems.push(`${where}: arrayValue needs values[]`);
      else (val['values'] as unknown[]).forEach((x, i) => anyValueProblems(x, `${where}[${i}]`, problems));
      break;
    case 'kvlistValue':
      if (!isObject(val) || !Array.isArray(val['values'])) problems.push(`${where}: kvlistValue needs values[]`);
      else keyValueListProblems(val['values'] as unknown[], where, problems);
      break;
  }
}

function keyValueListProblems(list: unknown[], where: string, problems: string[]): void {
  list.forEach((kv, i) => {
    if (!isObject(kv) || typeof kv['key'] !== 'string') {
      problems.push(`${where} attribute ${i}: needs a string key`);
      return;
    }
    anyValueProblems(kv['value'], `${where} attribute ${kv['key']}`, problems);
  });
}

/** Every object key in lowerCamelCase (the OTLP/JSON rule: never the proto field names). */
function camelCaseProblems(v: unknown, where: string, problems: string[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => camelCaseProblems(x, `${where}[${i}]`, problems));
    return;
  }
  if (!isObject(v)) return;
  for (const [k, x] of Object.entries(v)) {
    if (!/^[a-z][a-zA-Z0-9]*$/.test(k)) problems.push(`${where}: key ${k} is not lowerCamelCase`);
    camelCaseProblems(x, `${where}.${k}`, problems);
  }
}

/** OTLP/HTTP JSON ExportLogsServiceRequest: nesting, int64 as decimal strings, enum numbers, hex ids. */
export function otlpLogsProblems(body: string): string[] {
  const problems: string[] = [];
  let req: unknown;
  try {
    req = JSON.parse(body);
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
  camelCaseProblems(req, '$', problems);
  if (!isObject(req) || !Array.isArray(req['resourceLogs']) || req['resourceLogs'].length === 0) {
    return [...problems, 'resourceLogs must be a non-empty array'];
  }
  (req['resourceLogs'] as unknown[]).forEach((rl, i) => {
    const where = `resourceLogs[${i}]`;
    if (!isObject(rl)) return void problems.push(`${where}: not an object`);
    const resource = rl['resource'];
    if (!isObject(resource) || !Array.isArray(resource['attributes'])) problems.push(`${where}: resource.attributes missing`);
    else keyValueListProblems(resource['attributes'] as unknown[], `${where}.resource`, problems);
    if (!Array.isArray(rl['scopeLogs']) || rl['scopeLogs'].length === 0) return void problems.push(`${where}: scopeLogs missing`);
    (rl['scopeLogs'] as unknown[]).forEach((sl, j) => {
      const w = `${where}.scopeLogs[${j}]`;
      if (!isObject(sl)) return void problems.push(`${w}: not an object`);
      if (sl['scope'] !== undefined && (!isObject(sl['scope']) || typeof sl['scope']['name'] !== 'string')) {
        problems.push(`${w}: scope.name must be a string`);
      }
      if (!Array.isArray(sl['logRecords']) || sl['logRecords'].length === 0) return void problems.push(`${w}: logRecords missing`);
      (sl['logRecords'] as unknown[]).forEach((lr, k) => {
        const wr = `${w}.logRecords[${k}]`;
        if (!isObject(lr)) return void problems.push(`${wr}: not an object`);
        for (const key of ['timeUnixNano', 'observedTimeUnixNano']) {
          const v = lr[key];
          if (v !== undefined && (typeof v !== 'string' || !/^\d+$/.test(v))) {
            problems.push(`${wr}: ${key} (fixed64) must be a decimal string`);
          }
        }
        const sev = lr['severityNumber'];
        if (sev !== undefined && (typeof sev !== 'number' || !Number.isInteger(sev) || sev < 0 || sev > 24)) {
          problems.push(`${wr}: severityNumber must be an integer 0..24 (enum as number)`);
        }
        if (lr['severityText'] !== undefined && typeof lr['severityText'] !== 'string') problems.push(`${wr}: severityText`);
        if (lr['body'] !== undefined) anyValueProblems(lr['body'], `${wr}.body`, problems);
        if (lr['attributes'] !== undefined) {
          if (!Array.isArray(lr['attributes'])) problems.push(`${wr}: attributes must be an array`);
          else keyValueListProblems(lr['attributes'] as unknown[], wr, problems);
        }
        if (lr['traceId'] !== undefined && !/^[0-9a-fA-F]{32}$/.test(String(lr['traceId']))) problems.push(`${wr}: traceId must be 32 hex digits`);
        if (lr['spanId'] !== undefined && !/^[0-9a-fA-F]{16}$/.test(String(lr['spanId']))) problems.push(`${wr}: spanId must be 16 hex digits`);
      });
    });
  });
  return problems;
}

/** Parses a HEC body: JSON objects one after another (whitespace between them allowed). */
export function parseHecEvents(body: string): unknown[] {
  const events: unknown[] = [];
  let i = 0;
  while (i < body.length) {
    while (i < body.length && /\s/.test(body[i]!)) i++;
    if (i >= body.length) break;
    // Find the end of one JSON value by scanning with a depth counter (strings aware).
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < body.length; j++) {
      const c = body[j]!;
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    events.push(JSON.parse(body.slice(i, j + 1)));
    i = j + 1;
  }
  return events;
}

/** Splunk HEC event endpoint: each event an object with a non-blank `event`, epoch `time`, flat `fields`. */
export function hecProblems(body: string): string[] {
  const problems: string[] = [];
  let events: unknown[];
  try {
    events = parseHecEvents(body);
  } catch (error) {
    return [`not a sequence of JSON objects: ${(error as Error).message}`];
  }
  if (events.length === 0) problems.push('no events');
  events.forEach((e, i) => {
    if (!isObject(e)) return void problems.push(`event ${i}: not an object`);
    const ev = e['event'];
    if (ev === undefined || ev === null || (typeof ev === 'string' && ev.trim() === '')) problems.push(`event ${i}: event is required and not blank`);
    if (e['time'] !== undefined && (typeof e['time'] !== 'number' || e['time'] < 1e9 || e['time'] > 1e11)) {
      problems.push(`event ${i}: time must be epoch seconds`);
    }
    for (const key of ['host', 'source', 'sourcetype', 'index']) {
      if (e[key] !== undefined && typeof e[key] !== 'string') problems.push(`event ${i}: ${key} must be a string`);
    }
    const fields = e['fields'];
    if (fields !== undefined) {
      if (!isObject(fields)) problems.push(`event ${i}: fields must be an object`);
      else for (const [k, v] of Object.entries(fields)) {
        const ok = typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
        if (!ok) problems.push(`event ${i}: indexed field ${k} must be a string or an array of strings`);
      }
    }
  });
  return problems;
}
