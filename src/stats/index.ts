/** Pure experiment statistics on sufficient statistics (no SQL, no IO). */
export * from './moments.js';
export * from './linalg.js';
export * from './distributions.js';
export * from './ttest.js';
export * from './cuped.js';
export * from './ratio.js';
export * from './srm.js';
export * from './corrections.js';
export * from './power.js';
