import { defineTable, types } from '../src/core/schema.js';
import { defineScenario } from '../src/core/units.js';
import { FUNNEL_EVENT_TYPES, funnelEvents } from '../sources/funnel-events.js';

/**
 * E-commerce clickstream: the funnel-events generator. Users browse in sessions; a session
 * opens with a view, carts some items and may check out.
 */
export const ecommerceEvents = defineScenario({
  name: 'ecommerce_events',
  summary: 'User event streams with a view -> add_to_cart -> purchase funnel, about 70/20/10%',
  defaultRows: 100_000,
  eventTime: { column: 'event_time', startOption: 'start' },
  examples: [
    'datagen generate ecommerce_events --rows 100000 --seed 11 --out events.csv',
    'datagen pipe ecommerce_events --rows 100000 | datagen csv > events.csv',
    'datagen generate ecommerce_events --start 2024-11-01 --end 2024-11-30 --cart-share 0.25 --purchase-share 0.05 --out november.csv',
  ],
  schema: defineTable('ecommerce_events', 'Events of user sessions on a shop', {
    user_id: { type: types.int32(), min: 1, description: 'user number, 1..; rows are grouped by user', key: true },
    session_id: { type: types.int64(), min: 1, description: 'session number across the table, 1..; sessions of a user are contiguous' },
    event_time: { type: types.timestamp(), description: 'event time (UTC), in [start, end]', key: true },
    event_type: { type: types.string(), description: 'funnel step', values: FUNNEL_EVENT_TYPES },
  }),
  rules: [
    'rows are ordered by user, session, event_time; event_time rises strictly within a user, inside [start, end]',
    'event_type shares about (1 - cart-share - purchase-share) / cart-share / purchase-share: 70/20/10% by default',
    'every session starts with a view; a purchase only follows an add_to_cart of the same session, and a session has no more purchases than add_to_carts',
    "a user's sessions do not overlap: at least session-break minutes apart",
  ],
  options: {
    start: { type: 'date', default: '2024-01-01', description: 'first day of events' },
    end: { type: 'date', default: '2024-03-31', description: 'last day of events' },
    sessionsPerUser: { type: 'number', min: 1, default: 3, description: 'mean sessions per user' },
    viewsPerSession: { type: 'number', min: 1, default: 4, description: 'mean views per session' },
    cartShare: { type: 'number', min: 0, max: 1, default: 0.2, description: 'share of add_to_cart events' },
    purchaseShare: { type: 'number', min: 0, max: 1, default: 0.1, description: 'share of purchase events (<= cart-share)' },
    meanGap: { type: 'number', min: 1, default: 45, description: 'mean seconds between events of a session' },
    sessionBreak: { type: 'number', min: 0, default: 30, description: 'minimum minutes between sessions of a user' },
  },
  plan: ({ start, end, meanGap, sessionBreak, ...funnel }, ctx) =>
    funnelEvents({ ...funnel, startDay: start, endDay: end, meanGapSeconds: meanGap, sessionBreakMinutes: sessionBreak, owner: 'ecommerce_events' }, ctx),
});
