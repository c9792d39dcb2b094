import { exponential, poisson } from '../src/random/distributions.js';
import type { Row, Value } from '../src/core/schema.js';
import { MICROS_PER_DAY } from '../src/core/temporal.js';
import type { PlanContext, RowGenerator } from '../src/core/units.js';
import { checkInteger, checkNumber, invalid, segmentOf } from './domain.js';

/**
 * Analytics domain: user event streams with a purchase funnel, ordered by user, then session,
 * then time. A session opens with a view; views and add_to_cart events are interleaved; each
 * carted item is bought with probability purchaseShare / cartShare, and the purchases close
 * the session (checkout). Event times rise strictly within a session and a user's sessions
 * never overlap (at least sessionBreakMinutes apart).
 *
 * Why this shape: a user is the unit of addressing. Its sessions' shape (how many views, carts,
 * purchases) comes from a stream forked by the user number, so plan only sums users' event
 * counts (a prefix sum, no stored events) and a chunk that starts mid-user rebuilds that one
 * user from its streams. Times come from a second per-user stream, drawn only when rows are
 * made. Nothing depends on the chunk's stream, so a session cut by a chunk boundary is the same
 * on both sides. Users are as many as the rows need (the last one may be cut short).
 *
 * Expected shares: with mean views m per session and target shares c (cart) and p (purchase),
 * sessions that cart (cartSessionShare s) hold 1 + Poisson(m·c/(1-c-p)/s - 1) carts, so
 * E[carts] = m·c/(1-c-p) and E[purchases] = E[carts]·p/c: views : carts : purchases = (1-c-p) : c : p.
 */

export interface FunnelParams {
  /** Event times fall in [startDay, endDay] (days since the epoch, inclusive). */
  startDay: number;
  endDay: number;
  /** Mean sessions per user (>= 1; 1 + Poisson). */
  sessionsPerUser: number;
  /** Mean views per session (>= 1; 1 + Poisson). */
  viewsPerSession: number;
  /** Target shares of all events; view is the rest. purchaseShare <= cartShare. */
  cartShare: number;
  purchaseShare: number;
  /** Share of sessions with at least one add_to_cart (default 0.35; lowered when the targets need fewer). */
  cartSessionShare?: number;
  /** Mean seconds between two events of a session (>= 1; 1 s + exponential). */
  meanGapSeconds?: number;
  /** Minimum break between two sessions of a user (default 30). */
  sessionBreakMinutes?: number;
  userField?: string;
  /** null leaves the session column out. */
  sessionField?: string | null;
  timeField?: string;
  typeField?: string;
  /** Labels for [view, add to cart, purchase]. */
  eventTypes?: readonly [string, string, string];
  /** How user u (1-based) and session s (1-based, numbered across the table) are written. */
  userId?: (user: number) => Value;
  sessionId?: (session: number) => Value;
  owner?: string;
}

export interface FunnelEvents extends RowGenerator {
  /** Users in the table (the last may be cut short). */
  readonly users: number;
  /** Share of each event type the model expects: [view, cart, purchase]. */
  readonly expectedShares: readonly [number, number, number];
  /** Row i -> user (1-based). */
  userOf(i: number): number;
}

export const FUNNEL_EVENT_TYPES = ['view', 'add_to_cart', 'purchase'] as const;

const VIEW = 0;
const CART = 1;
const PURCHASE = 2;

export function funnelEvents(params: FunnelParams, ctx: PlanContext): FunnelEvents {
  const owner = params.owner ?? 'funnel-events';
  const startDay = checkInteger(owner, 'startDay', params.startDay, -1e8);
  const endDay = checkInteger(owner, 'endDay', params.endDay, -1e8);
  if (endDay < startDay) invalid(owner, 'endDay', `>= startDay (${startDay})`, endDay);
  const meanSessions = checkNumber(owner, 'sessionsPerUser', params.sessionsPerUser, 1);
  const meanViews = checkNumber(owner, 'viewsPerSession', params.viewsPerSession, 1);
  const c = checkNumber(owner, 'cartShare', params.cartShare, 0, 1);
  const p = checkNumber(owner, 'purchaseShare', params.purchaseShare, 0, c);
  if (c + p >= 1) invalid(owner, 'cartShare + purchaseShare', 'below 1 (views are the rest)', c + p);
  const meanCarts = (meanViews * c) / (1 - c - p);
  const cartSessions = Math.min(checkNumber(owner, 'cartSessionShare', params.cartSessionShare ?? 0.35, 0, 1), meanCarts);
  if (meanCarts > 0 && cartSessions === 0) invalid(owner, 'cartSessionShare', 'above 0 when cartShare is', 0);
  const extraCarts = cartSessions > 0 ? meanCarts / cartSessions - 1 : 0;
  const buy = c > 0 ? p / c : 0;
  const gapMicros = checkNumber(owner, 'meanGapSeconds', params.meanGapSeconds ?? 45, 1) * 1e6;
  const breakMicros = checkNumber(owner, 'sessionBreakMinutes', params.sessionBreakMinutes ?? 30, 0) * 60e6;
  const rangeStart = startDay * MICROS_PER_DAY;
  const span = (endDay - startDay + 1) * MICROS_PER_DAY;
  const userField = params.userField ?? 'user_id';
  const sessionField = params.sessionField === undefined ? 'session_id' : params.sessionField;
  const timeField = params.timeField ?? 'event_time';
  const typeField = params.typeField ?? 'event_type';
  const labels = params.eventTypes ?? FUNNEL_EVENT_TYPES;
  const fields = [userField, sessionField, timeField, typeField].filter((f): f is string => f !== null);
  if (new Set(fields).size !== fields.length) invalid(owner, 'column names', 'distinct', fields);

  const shapeRng = ctx.rng.fork('shape');
  const timeRng = ctx.rng.fork('time');

  /**
   * User u's sessions as (views, carts, purchases) triples appended to `into` (when given);
   * returns its event count. The same draws, in the same order, in plan and in rows.
   */
  const shapeOf = (u: number, into: number[] | null): number => {
    const r = shapeRng.fork(u);
    const n = 1 + poisson(r, meanSessions - 1);
    let events = 0;
    for (let s = 0; s < n; s++) {
      const v = 1 + poisson(r, meanViews - 1);
      let a = 0;
      let b = 0;
      if (r.float() < cartSessions) {
        a = 1 + poisson(r, extraCarts);
        for (let k = 0; k < a; k++) if (r.float() < buy) b++;
      }
      events += v + a + b;
      if (into) into.push(v, a, b);
    }
    return events;
  };

  // Users until the table is full: cumRows[u-1] = rows before user u, cumSessions likewise.
  const cumRows: number[] = [0];
  const cumSessions: number[] = [0];
  const scratch: number[] = [];
  for (let u = 1; cumRows[u - 1]! < ctx.rows; u++) {
    scratch.length = 0;
    cumRows.push(cumRows[u - 1]! + shapeOf(u, scratch));
    cumSessions.push(cumSessions[u - 1]! + scratch.length / 3);
  }
  const users = cumRows.length - 1;

  /** User u's events: type codes, times (µs) and session number within the user. */
  const eventsOf = (u: number) => {
    const shape: number[] = [];
    const total = shapeOf(u, shape);
    const n = shape.length / 3;
    const types = new Uint8Array(total);
    const session = new Int32Array(total);
    const offsets = new Float64Array(total); // µs since the session's start
    const durations = new Float64Array(n);
    const r = timeRng.fork(u);
    let e = 0;
    for (let s = 0; s < n; s++) {
      const v = shape[3 * s]!;
      const a = shape[3 * s + 1]!;
      const b = shape[3 * s + 2]!;
      const first = e;
      // A view first, then the other views and the carts in random order, then checkout.
      types[e++] = VIEW;
      let slots = v - 1 + a;
      let carts = a;
      for (; slots > 0; slots--) {
        const cart = r.float() * slots < carts;
        if (cart) carts--;
        types[e++] = cart ? CART : VIEW;
      }
      for (let k = 0; k < b; k++) types[e++] = PURCHASE;
      let t = 0;
      for (let k = first; k < e; k++) {
        session[k] = s;
        if (k > first) t += 1e6 + exponential(r, gapMicros - 1e6);
        offsets[k] = t;
      }
      durations[s] = t;
    }
    // Session starts: sorted uniform positions in the room the sessions leave free, so
    // sessions keep their order, their breaks, and the range (squeezed if a user's sessions
    // would not fit, which only a very short range makes happen).
    let busy = n * breakMicros;
    for (let s = 0; s < n; s++) busy += durations[s]!;
    const squeeze = busy > span * 0.9 ? (span * 0.9) / busy : 1;
    const room = span - busy * squeeze;
    const positions = new Float64Array(n);
    for (let s = 0; s < n; s++) positions[s] = r.float() * room;
    positions.sort();
    const times = new Float64Array(total);
    let before = 0;
    let k = 0;
    let last = -Infinity;
    for (let s = 0; s < n; s++) {
      const sessionStart = rangeStart + positions[s]! + before;
      for (; k < total && session[k] === s; k++) {
        // Whole milliseconds, as event logs record them, strictly increasing within the user.
        const t = Math.max(last + 1000, Math.floor((sessionStart + offsets[k]! * squeeze) / 1000) * 1000);
        times[k] = t;
        last = t;
      }
      before += (durations[s]! + breakMicros) * squeeze;
    }
    return { types, times, session };
  };

  return {
    users,
    expectedShares: [1 - c - p, c, p],
    userOf: (i) => segmentOf(cumRows, users, i) + 1,
    rows(first, count) {
      const out: Row[] = new Array(count);
      let u = segmentOf(cumRows, users, first) + 1;
      let j = 0;
      while (j < count) {
        const ev = eventsOf(u);
        const uid = params.userId ? params.userId(u) : u;
        const from = first + j - cumRows[u - 1]!;
        const to = Math.min(ev.types.length, from + count - j);
        let sid: Value = 0;
        let sidFor = -1;
        for (let k = from; k < to; k++) {
          const row: Row = {};
          row[userField] = uid;
          if (sessionField !== null) {
            if (ev.session[k] !== sidFor) {
              sidFor = ev.session[k]!;
              const global = cumSessions[u - 1]! + sidFor + 1;
              sid = params.sessionId ? params.sessionId(global) : global;
            }
            row[sessionField] = sid;
          }
          row[timeField] = ev.times[k]!;
          row[typeField] = labels[ev.types[k]!]!;
          out[j++] = row;
        }
        u++;
      }
      return out;
    },
  };
}
