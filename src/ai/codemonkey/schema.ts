/**
 * What the model returns (zod, strict-JSON-schema friendly: every field required, `.nullable()`
 * instead of optional). The first request per file returns up to 3 options; a redo after a
 * failed check or refused edits returns one corrected option (or null to give up).
 */
import { z } from 'zod';

export const EditSchema = z.object({
  path: z.string().nullable().describe('repository-relative path of the file to edit; null for the file being shown'),
  search: z.string().describe('exact text copied from the file, matching exactly once; empty only to create a new file'),
  replace: z.string().describe('the text that replaces the search text'),
});

export const OptionSchema = z.object({
  title: z.string().describe('short imperative summary, used as the commit message'),
  rationale: z.string().describe('why this helps the goal, one or two sentences'),
  risk: z.enum(['low', 'medium', 'high']),
  shrinks: z.boolean().describe('true only if the option deliberately removes more than half of a file'),
  edits: z.array(EditSchema),
});

export const OptionsReplySchema = z.object({
  options: z.array(OptionSchema).describe('0 to 3 options, best first; empty when the file needs no change for this goal'),
});

export const RedoReplySchema = z.object({
  option: OptionSchema.nullable().describe('the corrected option, or null to give up on this file'),
  reason: z.string().nullable().describe('when giving up: why'),
});

export type CodemonkeyEdit = z.infer<typeof EditSchema>;
export type CodemonkeyOption = z.infer<typeof OptionSchema>;
export type OptionsReply = z.infer<typeof OptionsReplySchema>;
export type RedoReply = z.infer<typeof RedoReplySchema>;

export const MAX_OPTIONS = 3;
