/**
 * The project spec `seed` produces (from a model or a domain pack) and validates.
 *
 * The entity schemas mirror the Statsig Console API create bodies (POST /console/v1/<kind>), with
 * the API's field names, enums and name patterns (from the Console API OpenAPI document). Fields the
 * seed never sets (ids, owners, team, review settings ...) are left out. Beyond the API, the spec
 * carries what the data generator needs: the user population, the event catalog with its value and
 * property distributions, the activity dynamics, and the intended true effects per experiment.
 */
import { z } from 'zod';

/** Names `seed` accepts for every entity and event: snake_case, so the API id equals the name. */
export const SEED_NAME_PATTERN = /^[a-z][a-z0-9_]{2,63}$/;

// API name patterns (Console API OpenAPI, 20240601).
const GATE_NAME = /^[a-zA-Z0-9_\-. ]*$/;
const CONFIG_NAME = /^[a-zA-Z0-9_\- ]*$/;
const LAYER_NAME = /^[A-Za-z0-9_ -]*$/;
const METRIC_NAME = /^[a-zA-Z0-9_.\-()/ %:]*$/;

const apiName = (pattern: RegExp, min = 3, max = 100) => z.string().min(min).max(max).regex(pattern);

export const CONDITION_TYPES = [
  'app_version',
  'browser_name',
  'browser_version',
  'country',
  'custom_field',
  'email',
  'environment_tier',
  'fails_gate',
  'fails_segment',
  'ip_address',
  'locale',
  'os_name',
  'os_version',
  'passes_gate',
  'passes_segment',
  'public',
  'time',
  'unit_id',
  'user_id',
  'url',
  'javascript',
  'device_model',
  'target_app',
] as const;

export const SEGMENT_CONDITION_TYPES = [
  'app_version',
  'browser_name',
  'browser_version',
  'country',
  'custom_field',
  'email',
  'environment_tier',
  'fails_segment',
  'ip_address',
  'os_name',
  'os_version',
  'passes_segment',
  'unit_id',
  'user_id',
] as const;

const targetValue = z.union([z.array(z.union([z.string(), z.number()])), z.string(), z.number(), z.null()]);

export const ConditionSchema = z.object({
  type: z.enum(CONDITION_TYPES),
  operator: z.string().nullable().optional(),
  targetValue: targetValue.optional(),
  field: z.string().nullable().optional(),
  customID: z.string().nullable().optional(),
});

export const RuleSchema = z.object({
  name: z.string().min(1).max(200),
  passPercentage: z.number().min(0).max(100),
  conditions: z.array(ConditionSchema),
  environments: z.array(z.string()).nullable().optional(),
  returnValue: z.record(z.string(), z.unknown()).optional(),
});

export const GateSchema = z.object({
  name: apiName(GATE_NAME),
  description: z.string().max(1000).optional(),
  isEnabled: z.boolean().optional(),
  idType: z.string().min(1).optional(),
  type: z.enum(['PERMANENT', 'TEMPORARY']).optional(),
  rules: z.array(RuleSchema).optional(),
  tags: z.array(z.string()).optional(),
});

export const DynamicConfigSchema = z.object({
  name: apiName(CONFIG_NAME),
  description: z.string().max(1000).optional(),
  idType: z.string().min(1).optional(),
  isEnabled: z.boolean().optional(),
  rules: z.array(RuleSchema).optional(),
  defaultValue: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()).optional(),
});

export const ExperimentGroupSchema = z.object({
  name: z.string().min(1).max(100),
  size: z.number().min(0).max(100),
  parameterValues: z.record(z.string(), z.unknown()),
  description: z.string().optional(),
});

export const MetricRefSchema = z.object({
  name: z.string().min(1),
  /** A custom metric's type (sum, ratio, ...) or a built-in: event_count, event_dau. */
  type: z.string().min(1),
  direction: z.enum(['increase', 'decrease']).optional(),
  hypothesizedValue: z.number().optional(),
});

export const EXPERIMENT_STATUSES = ['active', 'setup', 'decision_made', 'abandoned', 'archived', 'experiment_stopped', 'assignment_stopped'] as const;

export const ExperimentSchema = z.object({
  name: apiName(CONFIG_NAME),
  description: z.string().max(1000).optional(),
  hypothesis: z.string().optional(),
  idType: z.string().min(1).optional(),
  groups: z.array(ExperimentGroupSchema).min(2),
  /** The control group. Statsig takes a group id; `seed` uses the group's name. */
  controlGroupID: z.string().optional(),
  allocation: z.number().min(0).max(100).optional(),
  layerID: z.string().nullable().optional(),
  primaryMetrics: z.array(MetricRefSchema).optional(),
  secondaryMetrics: z.array(MetricRefSchema).optional(),
  duration: z.number().int().min(2).optional(),
  targetingGateID: z.string().nullable().optional(),
  status: z.enum(EXPERIMENT_STATUSES).optional(),
  tags: z.array(z.string()).optional(),
  defaultConfidenceInterval: z.enum(['80', '90', '95', '98', '99']).optional(),
});

export const LayerParameterSchema = z.object({
  name: z.string().min(1).max(100),
  type: z.enum(['string', 'number', 'boolean', 'object', 'array']),
  defaultValue: z.unknown(),
});

/** Layer create body (name, idType, description) plus the parameters set by the follow-up update. */
export const LayerSchema = z.object({
  name: apiName(LAYER_NAME),
  description: z.string().max(1000).optional(),
  idType: z.string().min(1),
  parameters: z.array(LayerParameterSchema),
  tags: z.array(z.string()).optional(),
});

export const METRIC_CRITERIA_CONDITIONS = [
  'in',
  'not_in',
  '=',
  '>',
  '<',
  '>=',
  '<=',
  'is_null',
  'non_null',
  'contains',
  'not_contains',
  'sql_filter',
  'starts_with',
  'ends_with',
  'after_exposure',
  'is_true',
  'is_false',
] as const;

export const MetricEventSchema = z.object({
  name: z.string().min(1),
  type: z.enum(['count', 'count_distinct', 'value', 'metadata']).nullable().optional(),
  metadataKey: z.string().optional(),
  criteria: z
    .array(
      z.object({
        type: z.enum(['value', 'metadata', 'user', 'user_custom']),
        column: z.string().optional(),
        condition: z.enum(METRIC_CRITERIA_CONDITIONS),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

/** Custom metric types `seed` creates. Built-ins (event_count, event_dau) are referenced, never created. */
export const SEED_METRIC_TYPES = ['sum', 'mean', 'ratio', 'event_count_custom', 'event_user', 'funnel'] as const;
export type SeedMetricType = (typeof SEED_METRIC_TYPES)[number];

export const MetricSchema = z.object({
  name: apiName(METRIC_NAME, 4, 200),
  type: z.enum(SEED_METRIC_TYPES),
  description: z.string().max(1000).optional(),
  directionality: z.enum(['increase', 'decrease']).optional(),
  unitTypes: z.array(z.string()).optional(),
  /** sum / mean: one event (type "value"); event_count_custom / event_user: one event; ratio: [numerator, denominator]. */
  metricEvents: z.array(MetricEventSchema).optional(),
  funnelEventList: z.array(z.object({ name: z.string().min(1), type: z.enum(['event_dau', 'event_user', 'event_count', 'event_count_custom']) })).optional(),
  funnelCountDistinct: z.enum(['events', 'users']).optional(),
  tags: z.array(z.string()).optional(),
  isVerified: z.boolean().optional(),
  isReadOnly: z.boolean().optional(),
  rollupTimeWindow: z.string().optional(),
  customRollUpStart: z.number().optional(),
  customRollUpEnd: z.number().optional(),
});

export const SegmentSchema = z.object({
  name: apiName(CONFIG_NAME),
  description: z.string().max(1000).optional(),
  type: z.enum(['rule_based', 'id_list']),
  idType: z.string().min(1).optional(),
  rules: z
    .array(
      RuleSchema.extend({
        conditions: z.array(ConditionSchema.extend({ type: z.enum(SEGMENT_CONDITION_TYPES) })),
      }),
    )
    .optional(),
  tags: z.array(z.string()).optional(),
});

// ---------------------------------------------------------------------------------------------
// What the data generator needs (not sent to the API)

export const OptionSchema = z.object({
  value: z.string().min(1).max(64),
  weight: z.number().positive(),
  /** Multiplier on the activity (event rates) of users with this value. Default 1. */
  activity: z.number().positive().nullable().optional(),
  /** Multiplier on the event values (spend) of users with this value. Default 1. */
  spend: z.number().positive().nullable().optional(),
});

export const PopulationSchema = z.object({
  countries: z.array(OptionSchema).min(1),
  platforms: z.array(OptionSchema).min(1),
  plans: z.array(OptionSchema).min(1),
  channels: z.array(OptionSchema).min(1),
  /** Mean account age in days at the experiment start (exponential, plus the pre-period). */
  tenureDaysMean: z.number().positive(),
  /** Extra user attributes, kept in users.attributes. */
  attributes: z.array(z.object({ name: z.string().min(1).max(64), values: z.array(OptionSchema).min(1) })),
});

export const EventSpecSchema = z.object({
  name: z.string().min(1),
  description: z.string(),
  /** Expected events per average user per day. */
  dailyRate: z.number().positive().max(50),
  /** The event's value (e.g. an amount): lognormal with this mean and log-sd, or null for no value. */
  value: z.object({ unit: z.string(), mean: z.number().positive(), sigma: z.number().min(0).max(2) }).nullable(),
  properties: z.array(z.object({ name: z.string().min(1).max(64), values: z.array(OptionSchema).min(1) })),
});

export const DynamicsSchema = z.object({
  /** Activity multipliers Monday..Sunday. */
  weekly: z.array(z.number().positive()).length(7),
  /** Relative growth of activity per week (e.g. 0.01 = +1 %/week). */
  trendPerWeek: z.number().min(-0.2).max(0.2),
  /** Activity multiplier on a public holiday in the user's country. */
  holidayMultiplier: z.number().positive().max(5),
});

export const SegmentEffectSchema = z.object({
  /** A user attribute: country, platform, plan, channel, or a population attribute name. */
  attribute: z.string().min(1),
  value: z.string().min(1),
  /** Relative effect for users with attribute = value (replaces `relative` for them). */
  relative: z.number(),
});

export const TrueEffectIntentSchema = z.object({
  experiment: z.string().min(1),
  group: z.string().min(1),
  /** A metric reference key of the experiment: a custom metric name, or `event:event_count` / `event:event_dau`. */
  metric: z.string().min(1),
  /** Intended relative effect (0.03 = +3 %) of the group vs control for users outside `segments`. */
  relative: z.number().min(-0.9).max(3),
  segments: z.array(SegmentEffectSchema),
  note: z.string().optional(),
});

export const ProjectSpecSchema = z.object({
  project: z.object({ name: z.string().min(1).max(100), description: z.string().max(2000) }),
  population: PopulationSchema,
  events: z.array(EventSpecSchema).min(1),
  dynamics: DynamicsSchema,
  gates: z.array(GateSchema),
  dynamic_configs: z.array(DynamicConfigSchema),
  segments: z.array(SegmentSchema),
  layers: z.array(LayerSchema),
  metrics: z.array(MetricSchema),
  experiments: z.array(ExperimentSchema).min(1),
  true_effects: z.array(TrueEffectIntentSchema),
});

export type Condition = z.infer<typeof ConditionSchema>;
export type Rule = z.infer<typeof RuleSchema>;
export type GateSpec = z.infer<typeof GateSchema>;
export type DynamicConfigSpec = z.infer<typeof DynamicConfigSchema>;
export type ExperimentSpec = z.infer<typeof ExperimentSchema>;
export type ExperimentGroup = z.infer<typeof ExperimentGroupSchema>;
export type MetricRef = z.infer<typeof MetricRefSchema>;
export type LayerSpec = z.infer<typeof LayerSchema>;
export type MetricSpec = z.infer<typeof MetricSchema>;
export type SegmentSpec = z.infer<typeof SegmentSchema>;
export type PopulationOption = z.infer<typeof OptionSchema>;
export type Population = z.infer<typeof PopulationSchema>;
export type EventSpec = z.infer<typeof EventSpecSchema>;
export type Dynamics = z.infer<typeof DynamicsSchema>;
export type TrueEffectIntent = z.infer<typeof TrueEffectIntentSchema>;
export type ProjectSpec = z.infer<typeof ProjectSpecSchema>;

/** Entity kinds in dependency order (what must exist before what refers to it). */
export const PUSH_ORDER = ['segments', 'gates', 'dynamic_configs', 'metrics', 'layers', 'experiments'] as const;
export type PushKind = (typeof PUSH_ORDER)[number];

/** The create body sent to POST /console/v1/<kind> for one spec entity. */
export function createBody(kind: PushKind, entity: Record<string, unknown>): Record<string, unknown> {
  if (kind === 'layers') {
    const { parameters: _parameters, tags: _tags, ...rest } = entity;
    return rest;
  }
  return { ...entity };
}

/** Zod schema of each kind's create body, for checking requests (push tests, a local server). */
export const CREATE_BODY_SCHEMAS: Record<PushKind, z.ZodType> = {
  segments: SegmentSchema.strict(),
  gates: GateSchema.strict(),
  dynamic_configs: DynamicConfigSchema.strict(),
  metrics: MetricSchema.strict(),
  layers: LayerSchema.omit({ parameters: true, tags: true }).strict(),
  experiments: ExperimentSchema.strict(),
};
