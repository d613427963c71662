/** Which screenshots go to the model (issue 20: `--viewport both` sent no mobile images). */
import { describe, expect, it } from 'vitest';
import { pickScreenshots, type PromptPage } from '../../src/ai/ideas/prompt.js';
import type { Screenshot } from '../../src/web/capture.js';
import type { PageModel } from '../../src/web/page-model.js';

const shot = (viewport: Screenshot['viewport'], kind: Screenshot['kind'], height: number): Screenshot => ({
  viewport,
  kind,
  width: viewport === 'desktop' ? 1280 : 390,
  height,
  truncated: false,
  data: Buffer.from(`${viewport}-${kind}`),
});
const page = (i: number, shots: Screenshot[]): PromptPage => ({ url: `https://shop.test/p${i}`, model: {} as PageModel, screenshots: shots });
const label = (x: { page: PromptPage; shot: Screenshot }): string => `${x.page.url.slice(-2)} ${x.shot.viewport} ${x.shot.kind}`;

describe('pickScreenshots', () => {
  it('sends the mobile first screens with --viewport both, before any full page', () => {
    const pages = [0, 1, 2, 3].map((i) => page(i, [shot('desktop', 'fold', 800), shot('desktop', 'full', 3000), shot('mobile', 'fold', 844), shot('mobile', 'full', 5000)]));
    const picked = pickScreenshots(pages, 8).map(label);
    expect(picked.filter((l) => l.includes('mobile'))).toHaveLength(4);
    expect(picked).toEqual(['p0 desktop fold', 'p0 mobile fold', 'p1 desktop fold', 'p1 mobile fold', 'p2 desktop fold', 'p2 mobile fold', 'p3 desktop fold', 'p3 mobile fold']);
    // Room left over goes to full pages.
    expect(pickScreenshots(pages.slice(0, 2), 8).map(label)).toEqual([
      'p0 desktop fold',
      'p0 desktop full',
      'p0 mobile fold',
      'p0 mobile full',
      'p1 desktop fold',
      'p1 desktop full',
      'p1 mobile fold',
      'p1 mobile full',
    ]);
  });

  it('never sends a full page that is no taller than its first screen (the same picture)', () => {
    const pages = [page(0, [shot('desktop', 'fold', 800), shot('desktop', 'full', 800)])];
    expect(pickScreenshots(pages, 8).map(label)).toEqual(['p0 desktop fold']);
  });
});
