/** Third-party tools recognised in a page's source, scripts and requests. */

export type ToolCategory = 'analytics' | 'tag_manager' | 'session_replay' | 'experimentation' | 'chat' | 'marketing' | 'ads' | 'consent' | 'monitoring' | 'payments';

export interface ThirdPartyTool {
  name: string;
  category: ToolCategory;
  /** Where it was seen: a script URL, a request URL or a snippet of inline code. */
  evidence: string;
}

interface Signature {
  name: string;
  category: ToolCategory;
  pattern: RegExp;
}

export const SIGNATURES: Signature[] = [
  { name: 'Google Analytics', category: 'analytics', pattern: /google-analytics\.com\/(?:analytics|ga)\.js|googletagmanager\.com\/gtag\/js|\bgtag\(\s*['"]config['"]/ },
  { name: 'Google Tag Manager', category: 'tag_manager', pattern: /googletagmanager\.com\/gtm\.js|\bGTM-[A-Z0-9]{4,}\b/ },
  { name: 'Segment', category: 'analytics', pattern: /cdn\.segment\.com|analytics\.load\(\s*['"]/ },
  { name: 'Mixpanel', category: 'analytics', pattern: /cdn\.mxpnl\.com|mixpanel\.init\(|mixpanel(?:-[\d.]+)?(?:\.min)?\.js/i },
  { name: 'Amplitude', category: 'analytics', pattern: /cdn\.amplitude\.com|amplitude\.getInstance\(|@amplitude\/|amplitude\.init\(/ },
  { name: 'Heap', category: 'analytics', pattern: /heapanalytics\.com|\bheap\.load\(/ },
  { name: 'PostHog', category: 'analytics', pattern: /posthog\.init\(|[./]posthog\.com|posthog(?:-js)?(?:\.min)?\.js/i },
  { name: 'Plausible', category: 'analytics', pattern: /plausible\.io\/js/ },
  { name: 'Hotjar', category: 'session_replay', pattern: /static\.hotjar\.com|_hjSettings|\bhjid\b/ },
  { name: 'FullStory', category: 'session_replay', pattern: /fullstory\.com\/s\/fs\.js|\b_fs_org\b/ },
  { name: 'Microsoft Clarity', category: 'session_replay', pattern: /clarity\.ms\/tag/ },
  { name: 'Statsig', category: 'experimentation', pattern: /statsig/i },
  { name: 'Optimizely', category: 'experimentation', pattern: /optimizely/i },
  { name: 'VWO', category: 'experimentation', pattern: /visualwebsiteoptimizer\.com|\b_vwo_code\b/ },
  { name: 'GrowthBook', category: 'experimentation', pattern: /growthbook/i },
  { name: 'LaunchDarkly', category: 'experimentation', pattern: /launchdarkly/i },
  { name: 'AB Tasty', category: 'experimentation', pattern: /abtasty/i },
  { name: 'Google Optimize', category: 'experimentation', pattern: /optimize\.google\.com|googleoptimize\.com/ },
  { name: 'Split', category: 'experimentation', pattern: /cdn\.split\.io|@splitsoftware\/|splitio\(/ },
  { name: 'Eppo', category: 'experimentation', pattern: /geteppo\.com|@eppo\// },
  { name: 'Convert', category: 'experimentation', pattern: /convertexperiments\.com/ },
  { name: 'Intercom', category: 'chat', pattern: /widget\.intercom\.io|\bintercomSettings\b|js\.intercomcdn\.com/ },
  { name: 'Drift', category: 'chat', pattern: /js\.driftt\.com|\bdrift\.load\(/ },
  { name: 'Zendesk', category: 'chat', pattern: /static\.zdassets\.com|\bzESettings\b/ },
  { name: 'Crisp', category: 'chat', pattern: /client\.crisp\.chat|\$crisp\b/ },
  { name: 'Tawk.to', category: 'chat', pattern: /embed\.tawk\.to|\bTawk_API\b/ },
  { name: 'LiveChat', category: 'chat', pattern: /cdn\.livechatinc\.com/ },
  { name: 'HubSpot', category: 'marketing', pattern: /js\.hs-scripts\.com|js\.hsforms\.net|js\.hs-analytics\.net/ },
  { name: 'Meta Pixel', category: 'ads', pattern: /connect\.facebook\.net\/[^'"]*\/fbevents\.js|\bfbq\(\s*['"]init['"]/ },
  { name: 'LinkedIn Insight', category: 'ads', pattern: /snap\.licdn\.com|\b_linkedin_partner_id\b/ },
  { name: 'Google Ads', category: 'ads', pattern: /googleadservices\.com|googlesyndication\.com|doubleclick\.net/ },
  { name: 'OneTrust', category: 'consent', pattern: /cdn\.cookielaw\.org|optanon|onetrust/i },
  { name: 'Cookiebot', category: 'consent', pattern: /consent\.cookiebot\.com|\bCookiebot\b/ },
  { name: 'Sentry', category: 'monitoring', pattern: /browser\.sentry-cdn\.com|\bSentry\.init\(/ },
  { name: 'Stripe', category: 'payments', pattern: /js\.stripe\.com/ },
];

export interface DetectInput {
  /** Script URLs (absolute or as written). */
  scriptUrls: string[];
  /** Inline script texts. */
  inlineScripts: string[];
  /** Other URLs the page loads or embeds (requests, iframes, preconnects). */
  otherUrls: string[];
}

function snippet(text: string, index: number, length: number): string {
  const start = Math.max(0, index - 30);
  const s = text.slice(start, index + length + 30).replace(/\s+/g, ' ').trim();
  return s.length > 120 ? `${s.slice(0, 119)}…` : s;
}

/** Every known tool seen, once each, with the first piece of evidence. */
export function detectThirdParty(input: DetectInput): ThirdPartyTool[] {
  const out: ThirdPartyTool[] = [];
  for (const sig of SIGNATURES) {
    let evidence: string | null = null;
    for (const u of [...input.scriptUrls, ...input.otherUrls]) {
      if (sig.pattern.test(u)) {
        evidence = u.length > 120 ? `${u.slice(0, 119)}…` : u;
        break;
      }
    }
    if (!evidence) {
      for (const text of input.inlineScripts) {
        const m = sig.pattern.exec(text);
        if (m) {
          evidence = `inline script: ${snippet(text, m.index, m[0].length)}`;
          break;
        }
      }
    }
    if (evidence) out.push({ name: sig.name, category: sig.category, evidence });
  }
  return out;
}
