/** Public API of the forecast service (used by `statsig-hack forecast` and `demo`). */
export { forecastFromFile, forecastFromStore, forecastSeries, DEFAULTS, MIN_POINTS } from './service.js';
export type { ForecastRequest, ForecastHooks, InMemorySeries } from './service.js';
export type { FileSeriesSpec, StoreSeriesSpec, StoreAgg } from './data.js';
export { STORE_AGGS } from './data.js';
export { forecastRows, forecastCsv } from './output.js';
export type * from './types.js';
