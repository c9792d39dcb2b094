import type { Faker } from '@faker-js/faker';
import { fakerLocale } from '../src/random/faker-data.js';
import { normal, Weighted, Zipf } from '../src/random/distributions.js';
import type { Rng } from '../src/random/rng.js';
import { MICROS_PER_DAY, civilFromDays, isoWeekday } from '../src/core/temporal.js';
import { paddedId } from './domain.js';

/**
 * Retail-banking domain: what the transaction scenarios (bank_transactions, credit_card_spend)
 * and the customer profiles (customer_360) share.
 *
 * - a customer population drawn once in plan, in customer order, from its own stream, so a
 *   row only samples a customer number and looks the rest up (chunks stay independent);
 * - name lists that repeat by a power law in a seed-dependent order (merchants);
 * - an hourly timeline that puts row i at quantile (i + u) / rows of the activity over a date
 *   range, so rows come out in time order without a sort and without earlier rows;
 * - Indian metros and the faker locales of the countries the scenarios use, loaded on first
 *   use (from plan, through `once`), so importing a scenario loads no locale data.
 *
 * Every helper draws from the stream it is given, in a fixed order, and forks nothing itself:
 * the scenario names its streams, so the stream names stay visible next to the columns.
 */

/** UTC+05:30: scenarios whose days and hours are India's shift their timelines by this. */
export const IST_MICROS = 19_800_000_000;
const HOUR = 3_600_000_000;

/**
 * `make()` on the first call, its value on every call after. Why: values built from faker's
 * locale data are made in plan, the first time a table needs them, not when the module loads
 * (every CLI command imports every scenario).
 */
export function once<T>(make: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value;
  };
}

/** faker locale (city names, surnames) by the country names the scenarios print. */
export const COUNTRY_LOCALES: Readonly<Record<string, string>> = {
  India: 'en_IN',
  'United States': 'en_US',
  Germany: 'de',
  France: 'fr',
  Canada: 'en_CA',
  'Hong Kong': 'en_HK',
  'South Africa': 'en_ZA',
};

/** faker's locale data for a country of COUNTRY_LOCALES, loaded on the first call (then cached). */
export function countryFaker(country: string): Faker {
  const locale = COUNTRY_LOCALES[country];
  const faker = locale === undefined ? undefined : fakerLocale(locale);
  if (!faker) throw new Error(`no faker locale data for country '${country}'`);
  return faker;
}

/** Indian airlines, for the travel merchants of both transaction scenarios. */
export const airlines = once((): readonly string[] => countryFaker('India').definitions.airline.airline.map((a) => a.name));

/** Relative population of India's largest metros (cities missing from a locale's list are dropped). */
export const INDIAN_METROS: Readonly<Record<string, number>> = { Mumbai: 12, Delhi: 11, Bengaluru: 9, Hyderabad: 7, Chennai: 7, Kolkata: 6, Ahmedabad: 5, Pune: 5, Surat: 4, Jaipur: 3.5, Lucknow: 3, Kanpur: 2.5, Nagpur: 2.5, Indore: 2.5, Kochi: 2 };

/**
 * A city picker: with probability `metroShare` (per call, default `defaultShare`) a metro by
 * population weight, otherwise any city of `cities` uniformly. Why: locale city lists are
 * flat, and a uniform pick alone would give a small town as many customers as Mumbai.
 * Draws one float, then one pick.
 */
export function cityPicker(cities: readonly string[], defaultShare = 0.55, metroWeights: Readonly<Record<string, number>> = INDIAN_METROS) {
  const names = Object.keys(metroWeights).filter((c) => cities.includes(c));
  const metros = new Weighted(names, names.map((c) => metroWeights[c]!));
  return (rng: Rng, metroShare = defaultShare): string => (rng.float() < metroShare ? metros.pick(rng) : rng.pick(cities));
}

/** `surname suffix` for every surname, then every suffix: "Sharma Supermart", "Sharma Cafe", ... */
export const merchantNames = (surnames: readonly string[], suffixes: readonly string[]): string[] => surnames.flatMap((n) => suffixes.map((s) => `${n} ${s}`));

/** CUST-00001..: the customer ids every banking scenario prints. */
export const customerId = paddedId('CUST-', 5);

/** The customers option, or one customer per `rowsPerCustomer` rows (at least one). */
export const customerCount = (customers: number | undefined, rows: number, rowsPerCustomer: number): number => customers ?? Math.max(1, Math.ceil(rows / rowsPerCustomer));

export interface Customers {
  readonly count: number;
  /** By customer number (1-based; index 0 unused). */
  readonly ids: readonly string[];
  readonly home: readonly string[];
  /** Spending level: a log-normal factor on every amount of the customer. */
  readonly scale: Float64Array;
  /** A customer number in 1..count; customers repeat by a power law. */
  sample(rng: Rng): number;
}

export interface CustomerParams {
  /** How a home city is drawn. */
  homeCity: (rng: Rng) => string;
  /** Log-sd of the spending level (its median is 1). */
  spendSd: number;
  /** Zipf exponent of how often customers recur (default 0.5: busy customers, long tail). */
  exponent?: number;
  /** More draws per customer from the same stream, after its home city and spending level. */
  each?: (customer: number, rng: Rng) => void;
}

/**
 * The customers of a transaction table, drawn from `people` in customer order: id, home city,
 * spending level, then `each`. Why in plan: a customer is the same person in every row and
 * every chunk, and customer c depends only on the draws of customers 1..c.
 */
export function customerPopulation(people: Rng, count: number, p: CustomerParams): Customers {
  const zipf = new Zipf(count, p.exponent ?? 0.5);
  const ids: string[] = new Array(count + 1);
  const home: string[] = new Array(count + 1);
  const scale = new Float64Array(count + 1);
  for (let c = 1; c <= count; c++) {
    ids[c] = customerId(c);
    home[c] = p.homeCity(people);
    scale[c] = Math.exp(normal(people, 0, p.spendSd));
    p.each?.(c, people);
  }
  return { count, ids, home, scale, sample: (rng) => zipf.sample(rng) };
}

export interface Popular {
  /** The names, most popular first. */
  readonly ranked: readonly string[];
  pick(rng: Rng): string;
}

/**
 * Names that repeat by a power law (rank k with weight k^-exponent), ranked in an order
 * shuffled from `order` (Fisher-Yates, one draw per name but the first). Why shuffle: which
 * merchant is the busy one should depend on the seed, not on the locale list's alphabet.
 * Lists ranked from one stream one after another depend on that order.
 */
export function popularity(names: readonly string[], order: Rng, exponent = 1): Popular {
  const ranked = [...names];
  for (let i = ranked.length - 1; i > 0; i--) {
    const j = order.int(0, i);
    [ranked[i], ranked[j]] = [ranked[j]!, ranked[i]!];
  }
  const zipf = new Zipf(ranked.length, exponent);
  return { ranked, pick: (rng) => ranked[zipf.sample(rng) - 1]! };
}

export interface RhythmParams {
  /** First and last day of the range (days since the epoch), both included. */
  start: number;
  end: number;
  /** Relative activity per local hour of day (24). */
  hourly: readonly number[];
  /** Relative activity per weekday, Monday first (7). */
  weekday: readonly number[];
  /** Relative activity per month, January first (12); none when omitted. */
  month?: readonly number[];
  /** Local time minus UTC: the days and hours above are local, timestamps are UTC. */
  utcOffsetMicros: number;
}

/** Rows of one chunk in order: `next(u)` is the next row's timestamp. */
export interface TimelineCursor {
  /** Timestamp (µs, UTC) of the next row, with `u` uniform in [0, 1) from the row's stream. */
  next(u: number): number;
  /** Local hour of day (0-23) of the last timestamp returned. */
  readonly hourOfDay: number;
}

export interface Timeline {
  /** A cursor at table row `first`, for a table of `rows` rows. */
  cursor(first: number, rows: number): TimelineCursor;
}

/**
 * Timestamps spread over [start, end + 1 day) local time by an hourly intensity (hour of day
 * x weekday x month). Why quantiles instead of sorting draws: row i sits at quantile
 * (i + u) / rows of the intensity's prefix sums, so the rows of any chunk come out in time
 * order, depend on nothing but i and u, and the daily rhythm holds at any row count.
 */
export function hourlyTimeline(p: RhythmParams): Timeline {
  const hours = (p.end - p.start + 1) * 24;
  const cum = new Float64Array(hours + 1);
  for (let h = 0; h < hours; h++) {
    const day = p.start + Math.floor(h / 24);
    let w = p.hourly[h % 24]! * p.weekday[isoWeekday(day)]!;
    if (p.month) w *= p.month[civilFromDays(day).month - 1]!;
    cum[h + 1] = cum[h]! + w;
  }
  const total = cum[hours]!;
  const startMicros = p.start * MICROS_PER_DAY - p.utcOffsetMicros;
  return {
    cursor(first, rows) {
      let index = first;
      let h = 0;
      return {
        next(u) {
          const q = ((index + u) / rows) * total;
          // Binary search for the chunk's first row, then a forward walk: rows only move on.
          if (index === first) for (let step = 1 << 30; step > 0; step >>>= 1) if (h + step < hours && cum[h + step]! <= q) h += step;
          index++;
          while (h < hours - 1 && cum[h + 1]! <= q) h++;
          return startMicros + h * HOUR + Math.min(HOUR - 1, Math.floor(((q - cum[h]!) / (cum[h + 1]! - cum[h]!)) * HOUR));
        },
        get hourOfDay() {
          return h % 24;
        },
      };
    },
  };
}

/**
 * Share of a day's activity in local hours [from, to) by the hourly weights alone. Why: fraud
 * odds multiply at night, and dividing by the mean factor keeps the overall rate at its option.
 */
export function hourShare(hourly: readonly number[], from: number, to: number): number {
  return hourly.slice(from, to).reduce((s, w) => s + w, 0) / hourly.reduce((s, w) => s + w, 0);
}
