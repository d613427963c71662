/**
 * The versioned schema of the project store. Each migration moves the store from
 * version N-1 to N inside one transaction. Never edit a released migration: add one.
 */
export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

/** Kinds of Statsig Console API entities the store keeps in `entities`. */
export const ENTITY_KINDS = ['gates', 'experiments', 'dynamic_configs', 'metrics', 'layers', 'segments'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'entities, users, exposures, events, true effects',
    statements: [
      `CREATE TABLE entities (
         kind VARCHAR NOT NULL CHECK (kind IN ('gates','experiments','dynamic_configs','metrics','layers','segments')),
         name VARCHAR NOT NULL,
         type VARCHAR,
         status VARCHAR,
         created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
         updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
         spec JSON NOT NULL,
         PRIMARY KEY (kind, name)
       )`,
      `CREATE TABLE users (
         unit_id VARCHAR PRIMARY KEY,
         country VARCHAR,
         platform VARCHAR,
         plan VARCHAR,
         created_at TIMESTAMP,
         attributes JSON
       )`,
      `CREATE TABLE exposures (
         unit_id VARCHAR NOT NULL,
         experiment VARCHAR NOT NULL,
         group_name VARCHAR NOT NULL,
         first_exposure TIMESTAMP NOT NULL,
         PRIMARY KEY (experiment, unit_id)
       )`,
      `CREATE TABLE events (
         unit_id VARCHAR NOT NULL,
         event VARCHAR NOT NULL,
         ts TIMESTAMP NOT NULL,
         value DOUBLE,
         metadata JSON
       )`,
      `CREATE TABLE true_effects (
         experiment VARCHAR NOT NULL,
         metric VARCHAR NOT NULL,
         group_name VARCHAR NOT NULL,
         abs_effect DOUBLE,
         rel_effect DOUBLE
       )`,
    ],
  },
  {
    version: 2,
    description: 'project metadata, typed user tenure and channel, segment of a true effect',
    statements: [
      `CREATE TABLE project (key VARCHAR PRIMARY KEY, value JSON NOT NULL)`,
      `ALTER TABLE users ADD COLUMN tenure_days DOUBLE`,
      `ALTER TABLE users ADD COLUMN channel VARCHAR`,
      `ALTER TABLE true_effects ADD COLUMN segment VARCHAR DEFAULT 'all'`,
      `UPDATE true_effects SET segment = 'all' WHERE segment IS NULL`,
      `CREATE INDEX events_unit_ts ON events (unit_id, ts)`,
    ],
  },
  {
    version: 3,
    description: 'drop the events (unit_id, ts) index: analysis uses hash joins, and the index doubled the cost of large inserts',
    statements: [`DROP INDEX IF EXISTS events_unit_ts`],
  },
  {
    version: 4,
    description: 'serve: API keys (hashes), audit log, webhooks and their delivery queue',
    statements: [
      `CREATE TABLE api_keys (
         id VARCHAR PRIMARY KEY,
         hash VARCHAR NOT NULL UNIQUE,
         scope VARCHAR NOT NULL CHECK (scope IN ('read','write')),
         label VARCHAR,
         created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
       )`,
      `CREATE SEQUENCE audit_seq START 1`,
      `CREATE TABLE audit_log (
         seq BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
         at_ms BIGINT NOT NULL,
         actor VARCHAR NOT NULL,
         source VARCHAR NOT NULL,
         action VARCHAR NOT NULL,
         kind VARCHAR NOT NULL,
         entity_id VARCHAR NOT NULL,
         diff JSON NOT NULL
       )`,
      `CREATE TABLE webhooks (
         id VARCHAR PRIMARY KEY,
         scope VARCHAR NOT NULL CHECK (scope IN ('project','experiments','gates')),
         target VARCHAR,
         url VARCHAR NOT NULL,
         format VARCHAR NOT NULL CHECK (format IN ('slack','json')),
         secret VARCHAR,
         created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
       )`,
      `CREATE SEQUENCE delivery_seq START 1`,
      `CREATE TABLE webhook_deliveries (
         id BIGINT PRIMARY KEY DEFAULT nextval('delivery_seq'),
         webhook_id VARCHAR NOT NULL,
         url VARCHAR NOT NULL,
         event JSON NOT NULL,
         status VARCHAR NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','delivered','dead')),
         attempts INTEGER NOT NULL DEFAULT 0,
         next_attempt_ms BIGINT NOT NULL DEFAULT 0,
         last_status INTEGER,
         last_error VARCHAR,
         created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
         delivered_at TIMESTAMP
       )`,
    ],
  },
  {
    version: 5,
    description: 'jobs: the log of every query the tool ran (command, experiment, metric, time, scans, memory, outcome)',
    statements: [
      `CREATE TABLE IF NOT EXISTS jobs (
         id BIGINT PRIMARY KEY,
         run_id VARCHAR NOT NULL,
         command VARCHAR NOT NULL,
         experiment VARCHAR,
         metric VARCHAR,
         fingerprint VARCHAR NOT NULL,
         sql VARCHAR NOT NULL,
         started_at TIMESTAMP NOT NULL,
         duration_ms DOUBLE NOT NULL,
         cpu_ms DOUBLE,
         rows_scanned BIGINT,
         bytes_scanned BIGINT,
         bytes_read BIGINT,
         peak_memory BIGINT,
         rows_returned BIGINT,
         outcome VARCHAR NOT NULL,
         error VARCHAR,
         plan JSON
       )`,
    ],
  },
  {
    version: 6,
    description: 'rollouts: Kubernetes rollouts of experiments and dynamic configs (desired and observed state)',
    statements: [
      `CREATE TABLE rollouts (
         source VARCHAR NOT NULL CHECK (source IN ('experiment','config')),
         name VARCHAR NOT NULL,
         namespace VARCHAR NOT NULL,
         deployment VARCHAR NOT NULL,
         desired VARCHAR NOT NULL,
         state VARCHAR NOT NULL,
         spec JSON NOT NULL,
         objects JSON NOT NULL,
         message VARCHAR,
         created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
         updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
         PRIMARY KEY (source, name)
       )`,
    ],
  },
  {
    version: 7,
    description: 'scorecards: the latest saved analyze result per experiment, metric and variant (ask reads them)',
    statements: [
      `CREATE TABLE scorecards (
         experiment VARCHAR NOT NULL,
         metric VARCHAR NOT NULL,
         variant VARCHAR NOT NULL,
         control VARCHAR,
         estimate DOUBLE,
         ci_low DOUBLE,
         ci_high DOUBLE,
         rel_lift DOUBLE,
         p_value DOUBLE,
         significant BOOLEAN,
         method VARCHAR,
         alpha DOUBLE,
         decision VARCHAR,
         n_control BIGINT,
         n_test BIGINT,
         analyzed_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
         PRIMARY KEY (experiment, metric, variant)
       )`,
    ],
  },
  {
    version: 8,
    description: 'jobs: whether DuckDB profiled each job, and the profiled job its estimated scans come from',
    statements: [
      // IF NOT EXISTS: `jobs` of earlier releases added these columns itself, at runtime.
      'ALTER TABLE jobs ADD COLUMN IF NOT EXISTS profiled BOOLEAN',
      'ALTER TABLE jobs ADD COLUMN IF NOT EXISTS scan_from BIGINT',
      'UPDATE jobs SET profiled = plan IS NOT NULL WHERE profiled IS NULL',
    ],
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export interface ColumnSpec {
  name: string;
  /** DuckDB type the column is cast to on import. */
  type: 'VARCHAR' | 'DOUBLE' | 'TIMESTAMP' | 'JSON';
  required: boolean;
}

/** Importable tables and the columns `import` accepts for each. */
export const IMPORT_TABLES: Record<string, ColumnSpec[]> = {
  users: [
    { name: 'unit_id', type: 'VARCHAR', required: true },
    { name: 'country', type: 'VARCHAR', required: false },
    { name: 'platform', type: 'VARCHAR', required: false },
    { name: 'plan', type: 'VARCHAR', required: false },
    { name: 'created_at', type: 'TIMESTAMP', required: false },
    { name: 'tenure_days', type: 'DOUBLE', required: false },
    { name: 'channel', type: 'VARCHAR', required: false },
    { name: 'attributes', type: 'JSON', required: false },
  ],
  exposures: [
    { name: 'unit_id', type: 'VARCHAR', required: true },
    { name: 'experiment', type: 'VARCHAR', required: true },
    { name: 'group_name', type: 'VARCHAR', required: true },
    { name: 'first_exposure', type: 'TIMESTAMP', required: true },
  ],
  events: [
    { name: 'unit_id', type: 'VARCHAR', required: true },
    { name: 'event', type: 'VARCHAR', required: true },
    { name: 'ts', type: 'TIMESTAMP', required: true },
    { name: 'value', type: 'DOUBLE', required: false },
    { name: 'metadata', type: 'JSON', required: false },
  ],
  true_effects: [
    { name: 'experiment', type: 'VARCHAR', required: true },
    { name: 'metric', type: 'VARCHAR', required: true },
    { name: 'group_name', type: 'VARCHAR', required: true },
    { name: 'abs_effect', type: 'DOUBLE', required: false },
    { name: 'rel_effect', type: 'DOUBLE', required: false },
    { name: 'segment', type: 'VARCHAR', required: false },
  ],
};

export const DATA_TABLES = ['entities', 'users', 'exposures', 'events', 'true_effects'] as const;
