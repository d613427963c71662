/**
 * The shapes `ideas` returns (and writes to ideas.json): their own module so that the service
 * and the report writers both depend on it instead of on each other.
 */
import type { LlmUsage } from '../llm.js';
import type { HiddenOverlay, PageLink } from '../../web/capture.js';
import type { PageModel, Timing, ViewportName } from '../../web/page-model.js';
import type { CreatedExperiment } from './experiments.js';
import type { SentImage } from './prompt.js';
import type { Idea, SiteSummary } from './schema.js';

export type ViewportChoice = 'desktop' | 'mobile' | 'both';

export interface ScreenshotFile {
  viewport: ViewportName;
  kind: 'fold' | 'full';
  width: number;
  height: number;
  truncated: boolean;
  /** Relative to the output folder; null when nothing was written. */
  path: string | null;
}

export interface PageSummary {
  url: string;
  final_url: string;
  title: string;
  status: number | null;
  capture_ms: number;
  settled: boolean;
  overlays_hidden: HiddenOverlay[];
  timing: Timing | null;
  screenshots: ScreenshotFile[];
  warnings: string[];
  model: PageModel;
}

export interface IdeasResult {
  url: string;
  generated_at: string;
  mode: 'model' | 'offline';
  model: string | null;
  capture: {
    mode: 'browser' | 'html';
    browser: string | null;
    fallback_reason: string | null;
    viewports: ViewportName[];
    pages: PageSummary[];
    links: PageLink[];
    skipped: { url: string; reason: string }[];
    ms: number;
  };
  site: SiteSummary;
  experiments: Idea[];
  /** Ideas found before --max-ideas kept the best `experiments.length`. */
  ideas_found: number;
  dropped: { ideas: number; evidence: number; details: { title: string; reason: string }[] };
  /** Screenshots sent to the model (model mode). */
  images_sent: SentImage[];
  warnings: string[];
  out: { dir: string; report: string; html: string; json: string; screenshots: number } | null;
  created: { db: string; experiments: CreatedExperiment[] } | null;
  usage: LlmUsage | null;
  timing_ms: { capture: number; ideas: number; total: number };
}
