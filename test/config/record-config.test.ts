// The records section of the configuration: parsers, multiline joining and the time
// field's name, and the errors that name their variable.
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

const base = { TAILSHIP_COLLECTOR_URL: 'http://collector:9000/' };

t.test('defaults: no parser, no multiline, @timestamp', async (t) => {
  const { config } = loadConfig(base);
  t.strictSame(config.records, {
    timestampField: '@timestamp',
    epochTimeField: 'time',
    parsers: [],
    parserRegex: undefined,
    multiline: undefined,
  });
});

/** The ConfigError loadConfig throws for `env`, or undefined. */
function configError(env: Record<string, string>): ConfigError | undefined {
  try {
    loadConfig({ ...base, ...env });
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

t.test('errors name the variable', async (t) => {
  const rows: Array<[string, Record<string, string>, string, RegExp]> = [
    ['unknown parser', { TAILSHIP_PARSER: 'xml' }, 'TAILSHIP_PARSER', /expected one of none, json, nginx, regex/],
    ['regex without a pattern', { TAILSHIP_PARSER: 'regex' }, 'TAILSHIP_PARSER_REGEX', /required/],
    [
      'invalid pattern',
      { TAILSHIP_PARSER: 'regex', TAILSHIP_PARSER_REGEX: '(?<a>x' },
      'TAILSHIP_PARSER_REGEX',
      /valid JavaScript regular expression \(Invalid regular expression/,
    ],
    ['pattern without named groups', { TAILSHIP_PARSER: 'regex', TAILSHIP_PARSER_REGEX: '(\\w+)' }, 'TAILSHIP_PARSER_REGEX', /named groups/],
    ['invalid multiline start', { TAILSHIP_MULTILINE_START: '[' }, 'TAILSHIP_MULTILINE_START', /regular expression/],
    ['multiline timeout without a unit', { TAILSHIP_MULTILINE_START: '^S', TAILSHIP_MULTILINE_TIMEOUT: '5' }, 'TAILSHIP_MULTILINE_TIMEOUT', /duration/],
    ['time field taken by the record', { TAILSHIP_TIMESTAMP_FIELD: 'message' }, 'TAILSHIP_TIMESTAMP_FIELD', /other than/],
    ['static field taken by the record', { TAILSHIP_FIELDS: 'env=prod,host=x' }, 'TAILSHIP_FIELDS', /"host" is taken/],
    ['static field named like the time field', { TAILSHIP_FIELDS: '@timestamp=x' }, 'TAILSHIP_FIELDS', /"@timestamp" is taken/],
    ['json records carry Fluentd\'s time', { TAILSHIP_SINK: 'json', TAILSHIP_TIMESTAMP_FIELD: 'time' }, 'TAILSHIP_TIMESTAMP_FIELD', /other than .*time/],
    ['ndjson records carry Fluentd\'s time', { TAILSHIP_FIELDS: 'time=x' }, 'TAILSHIP_FIELDS', /"time" is taken/],
  ];
  for (const [name, env, variable, message] of rows) {
    const error = configError(env);
    t.equal(error?.variable, variable, `${name}: variable`);
    t.match(error?.message, message, `${name}: message`);
    t.match(error?.message, variable, `${name}: the message names ${variable}`);
  }
});

t.test('the epoch time key only with the json and ndjson protocols', async (t) => {
  for (const sink of ['json', 'ndjson']) t.equal(loadConfig({ ...base, TAILSHIP_SINK: sink }).config.records.epochTimeField, 'time', sink);
  for (const sink of ['loki', 'elasticsearch', 'otlp', 'splunk_hec']) {
    const { config } = loadConfig({ ...base, TAILSHIP_SINK: sink, TAILSHIP_TIMESTAMP_FIELD: 'time' });
    t.same([config.records.epochTimeField, config.records.timestampField], [undefined, 'time'], `${sink}: \`time\` is free`);
  }
});

t.test('a full records configuration', async (t) => {
  const { config } = loadConfig({
    ...base,
    TAILSHIP_TIMESTAMP_FIELD: 'timestamp',
    TAILSHIP_PARSER: 'app.log=regex,*.log=nginx',
    TAILSHIP_PARSER_REGEX: '^(?<level>\\w+) ',
    TAILSHIP_MULTILINE_START: '^\\d{4}-',
    TAILSHIP_MULTILINE_TIMEOUT: '2s',
    TAILSHIP_MULTILINE_FILES: 'app.log',
  });
  t.strictSame(config.records, {
    timestampField: 'timestamp',
    epochTimeField: 'time',
    parsers: [
      { glob: 'app.log', parser: 'regex' },
      { glob: '*.log', parser: 'nginx' },
    ],
    parserRegex: '^(?<level>\\w+) ',
    multiline: { startPattern: '^\\d{4}-', timeoutMs: 2000, files: ['app.log'] },
  });
  t.ok(Object.isFrozen(config.records.multiline), 'frozen like the rest');
});
