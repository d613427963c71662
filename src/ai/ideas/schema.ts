/**
 * The shape of experiment ideas, from the model and from the offline audit alike. The zod
 * schemas are what the model must return (strict structured output: every field required,
 * `.nullable()` where a value may be missing); `Idea` adds what we compute afterwards.
 * Strings carry no length limits: OpenAI's strict mode rejects minLength/maxLength, and a
 * rejected schema would cost a round trip and the strict mode itself.
 */
import { z } from 'zod';

export const METRIC_TYPES = ['conversion', 'count', 'sum', 'mean', 'ratio'] as const;

export const MetricSchema = z.object({
  name: z.string().describe('snake_case event or metric name, e.g. signup_completed'),
  type: z.enum(METRIC_TYPES).describe('conversion: share of units that did it; count: events per unit; sum/mean: of a value; ratio: of two metrics'),
  direction: z.enum(['increase', 'decrease']).describe('the direction that is good'),
});

export const EvidenceSchema = z.object({
  selector: z.string().describe('a CSS selector copied from the page model that matches the element on the captured page'),
  observation: z.string().describe('what is seen on that element'),
});

export const IceSchema = z.object({
  impact: z.number().int().min(1).max(10),
  confidence: z.number().int().min(1).max(10),
  ease: z.number().int().min(1).max(10),
});

export const ExperimentIdeaSchema = z.object({
  title: z.string(),
  summary: z.string(),
  page_url: z.string().describe('the captured page the experiment runs on (one of the page URLs given)'),
  evidence: z.array(EvidenceSchema).min(1).max(6),
  hypothesis: z.string().describe('Because we observed X, we believe Y will cause Z for audience A; we will know when metric M moves'),
  control: z.string().describe('what the control group sees (the page as it is)'),
  test: z.string().describe('the concrete change the test group sees'),
  primary_metric: MetricSchema,
  guardrail_metrics: z.array(MetricSchema).max(5),
  id_type: z.enum(['stableID', 'userID']).describe('stableID for anonymous visitors, userID for logged-in users'),
  ice: IceSchema,
});

export const SiteSchema = z.object({
  summary: z.string(),
  purpose: z.string(),
  audience: z.string(),
  primary_conversion: z.string(),
});

export const IdeasReplySchema = z.object({
  site: SiteSchema,
  experiments: z.array(ExperimentIdeaSchema).min(1).max(20),
});

export type Metric = z.infer<typeof MetricSchema>;
export type Evidence = z.infer<typeof EvidenceSchema>;
export type ExperimentIdea = z.infer<typeof ExperimentIdeaSchema>;
export type SiteSummary = z.infer<typeof SiteSchema>;
export type IdeasReply = z.infer<typeof IdeasReplySchema>;

/** An idea in the output: the schema's fields plus rank, id, ICE score and where it came from. */
export interface Idea extends Omit<ExperimentIdea, 'ice'> {
  id: string;
  rank: number;
  ice: { impact: number; confidence: number; ease: number; score: number };
  source: 'model' | 'audit';
  /** The audit rule that produced it (null for model ideas). */
  rule: string | null;
}

/** ICE score: the mean of impact, confidence and ease (1..10), one decimal. */
export function iceScore(ice: { impact: number; confidence: number; ease: number }): number {
  return Math.round(((ice.impact + ice.confidence + ice.ease) / 3) * 10) / 10;
}

/** snake_case id from a title: lowercase letters, digits and underscores, 3..55 characters (cut at a word), starting with a letter. */
export function slugify(title: string): string {
  let s = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (s.length > 50) {
    const cut = s.slice(0, 51);
    const end = cut.lastIndexOf('_');
    s = (end >= 20 ? cut.slice(0, end) : s.slice(0, 50)).replace(/_+$/, '');
  }
  if (!/^[a-z]/.test(s)) s = `idea_${s}`.replace(/_+$/, '');
  if (s.length < 3) s = `${s}_idea`;
  return s;
}

/**
 * Ranks by ICE score (ties: higher impact, then the original order), keeps `max`, and numbers
 * them. Ids are unique slugs of the titles.
 */
export function rankIdeas(ideas: Omit<Idea, 'rank' | 'id'>[], max: number): Idea[] {
  const ordered = ideas
    .map((idea, i) => ({ idea, i }))
    .sort((a, b) => b.idea.ice.score - a.idea.ice.score || b.idea.ice.impact - a.idea.ice.impact || a.i - b.i)
    .slice(0, max);
  const used = new Set<string>();
  return ordered.map(({ idea }, k) => {
    const base = slugify(idea.title);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    return { ...idea, id, rank: k + 1 };
  });
}
