import { dropKeys, type TableDefinition } from '../../src/core/dataset.js';
import { truncatedNormal, Weighted } from '../../src/random/distributions.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { civilFromDays, daysFromCivil } from '../../src/core/temporal.js';
import { deletedParentKeys } from '../../transforms/corrupt-fk.js';
import { duplicate } from '../../transforms/duplicate.js';
import { malform } from '../../transforms/malform.js';
import { missing } from '../../transforms/missing.js';
import { AU_PHONE_PATTERN, auNames, near, phoneIn, STATE_BY_CODE, townIn, type Town } from './au.js';
import { newCustomersThrough, signupTs, type CustomerChange } from './changes.js';
import type { Rng } from '../../src/random/rng.js';
import { AU_LAT, AU_LON, codeOf, FK, STATES, type Ctx, type RetailOptions, type State } from './shared.js';

const stateChoice = new Weighted(STATES, STATES.map((s) => s.weight));
const MAIL_DOMAINS = new Weighted(
  ['gmail.com', 'outlook.com', 'hotmail.com', 'bigpond.com', 'icloud.com', 'yahoo.com.au', 'optusnet.com.au', 'live.com.au', 'iinet.net.au'],
  [34, 12, 10, 10, 10, 8, 6, 5, 5],
);
/** Between first name and surname, by style: first.last, first_last, initial+last, firstlast. */
const MAIL_SEPARATORS = ['.', '_', '', ''];
/** Every email the plan writes: the name parts (letters), a separator, a number 1-99 or none, a domain above. */
const EMAIL_PATTERN = `[a-z]+[._]?[a-z]+([1-9][0-9]?)?@(${MAIL_DOMAINS.items.map((d) => d.replace(/\./g, '\\.')).join('|')})`;
const STREET_TYPES = new Weighted(
  ['Street', 'Road', 'Avenue', 'Drive', 'Parade', 'Crescent', 'Place', 'Court', 'Lane', 'Way', 'Close', 'Terrace', 'Circuit', 'Grove', 'Highway', 'Esplanade'],
  [30, 18, 10, 8, 4, 5, 5, 5, 3, 3, 3, 2, 2, 1, 0.5, 0.5],
);
const UNITS = ['Unit', 'Unit', 'Apt', 'Level', 'Suite', 'Flat'];
/** Customers join over the ten years before the horizon, more of them recently (about a quarter a year fewer per year back). */
const JOIN_YEARS = 10;

/** Natural key: CUST- and 8 base-36 characters, a bijection of the surrogate key (never two alike). */
export function customerNaturalKey(ctx: Ctx, customerId: number): string {
  return `CUST-${codeOf(ctx, 'customers', customerId, 8)}`;
}

/**
 * Customer `id`'s row as it was created: base customers (1..N) joined in the ten years before
 * the horizon; customers of increments (N+1, ...) joined in their batch (signupTs).
 */
export function customerRow(ctx: Ctx, id: number): Row {
  const names = auNames();
  const { start } = ctx.options;
  const k = 0.25 / 365; // per-day decay of sign-ups going back in time
  const span = 1 - Math.exp(-k * JOIN_YEARS * 365);
  const rng = ctx.at('customers', 'facts').fork(id);
  const state = stateChoice.pick(rng);
  const town = townIn(state, rng);
  const female = rng.chance(0.5);
  const f = rng.index(female ? names.female.length : names.male.length);
  const l = rng.index(names.last.length);
  const email = emailFor(rng, female, f, l);
  const home = homeIn(state, town, rng);
  // Join: a truncated exponential back from the horizon's start, at a local time of day.
  const back = Math.floor(-Math.log(1 - rng.float() * span) / k);
  let joinDay = start - 1 - back;
  let joinTs = (joinDay * 86_400 + rng.int(7 * 3600, 23 * 3600) - state.offset * 60) * 1_000_000 + rng.int(0, 999_999);
  if (id > ctx.rows('customers')) {
    joinTs = signupTs(ctx, id);
    joinDay = Math.floor(joinTs / 86_400_000_000);
  }
  const age = Math.round(truncatedNormal(rng, 38, 14, 18, 85));
  const j = civilFromDays(joinDay);
  const birth = daysFromCivil(j.year - age, j.month, Math.min(j.day, 28)) - rng.int(1, 364);
  return {
    customer_id: id,
    natural_key: customerNaturalKey(ctx, id),
    first_name: (female ? names.female : names.male)[f]!,
    last_name: names.last[l]!,
    email,
    phone: phoneIn(state, rng),
    ...home,
    birth_date: birth,
    join_ts: joinTs,
    is_vip: rng.chance(0.04),
    gdpr_consent: rng.chance(0.78),
  };
}

/** A personal email from the name's parts: style, separator, maybe a number, a common provider. */
function emailFor(rng: Rng, female: boolean, f: number, l: number): string {
  const names = auNames();
  const fMail = (female ? names.femaleMail : names.maleMail)[f]!;
  const lMail = names.lastMail[l]!;
  const style = rng.int(0, 3);
  const number = rng.chance(0.4) ? String(rng.int(1, 99)) : '';
  return (style === 2 ? fMail[0]! : fMail) + MAIL_SEPARATORS[style] + lMail + number + '@' + MAIL_DOMAINS.pick(rng);
}

/** A home in the town: street, maybe a unit, town, postcode and coordinates. */
function homeIn(state: State, town: Town, rng: Rng): Pick<Row, 'address_line1' | 'address_line2' | 'city' | 'state_region' | 'postcode' | 'country_code' | 'latitude' | 'longitude'> {
  const names = auNames();
  const street = `${rng.int(1, rng.chance(0.8) ? 120 : 999)} ${rng.chance(0.8) ? names.last[rng.index(names.last.length)] : names.female[rng.index(names.female.length)]} ${STREET_TYPES.pick(rng)}`;
  const line2 = rng.chance(0.22) ? `${rng.pick(UNITS)} ${rng.int(1, 60)}` : null;
  const { latitude, longitude } = near(town, state, rng);
  return { address_line1: street, address_line2: line2, city: town.name, state_region: state.code, postcode: town.postcode, country_code: 'AU', latitude, longitude };
}

/**
 * A customer's row after an update of an increment (changes.ts): a move (a new home, in the
 * same state 70% of the time) or a new email from the same name. Other changes leave it as is.
 */
export function applyCustomerChange(ctx: Ctx, row: Row, change: CustomerChange): Row {
  const rng = ctx.at('customers', 'change', change.kind).fork(change.index);
  if (change.kind === 'address') {
    const state = rng.chance(0.7) ? STATE_BY_CODE[row.state_region as State['code']] : stateChoice.pick(rng);
    return { ...row, ...homeIn(state, townIn(state, rng), rng) };
  }
  if (change.kind === 'email') {
    // The name's position in the name lists: the same person, another address.
    const names = auNames();
    const female = names.female.includes(row.first_name as string);
    const f = (female ? names.female : names.male).indexOf(row.first_name as string);
    return { ...row, email: emailFor(rng, female, f, names.last.indexOf(row.last_name as string)) };
  }
  return row;
}

/** customers: one row per customer of the retailer, living in a real Australian town. */
export const customers: TableDefinition<RetailOptions> = {
  name: 'customers',
  schema: defineTable('customers', 'Customers: who they are, where they live, when they joined', {
    customer_id: { type: types.int64(), min: 1, description: 'customer key (1..N)', key: true },
    natural_key: { type: types.string(), pattern: 'CUST-[A-Z0-9]{8}', description: 'CUST- and 8 characters A-Z0-9, a scramble of customer_id (unique by construction)' },
    first_name: { type: types.string(), description: 'first name (faker en_AU)' },
    last_name: { type: types.string(), description: 'surname (faker en_AU)' },
    email: { type: types.string(), pattern: EMAIL_PATTERN, description: 'personal email made from the name (first.last, first_last, initial+last or firstlast, sometimes a number) at a common Australian provider' },
    phone: { type: types.string(), pattern: AU_PHONE_PATTERN, description: 'mobile (04xx xxx xxx, 04xxxxxxxx, +61 4xx xxx xxx) or landline of the state area code ((0N) xxxx xxxx, 0N xxxx xxxx, +61 N xxxx xxxx)' },
    address_line1: { type: types.string(), description: 'street number, street name and type' },
    address_line2: { type: types.string(), description: 'unit, apartment, level or suite; null for most customers (houses)', nullable: true },
    city: { type: types.string(), description: 'town or suburb' },
    state_region: { type: types.string(), description: 'state or territory code', values: STATES.map((s) => s.code) },
    postcode: { type: types.string(), pattern: '\\d{4}', description: "the town's 4-digit postcode (within the state's Australia Post ranges)" },
    country_code: { type: types.string(), description: 'ISO 3166 country code (AU)', values: ['AU'] },
    latitude: { type: types.float64(), min: AU_LAT[0], max: AU_LAT[1], description: 'home latitude: a few km around the town, inside the state' },
    longitude: { type: types.float64(), min: AU_LON[0], max: AU_LON[1], description: 'home longitude: a few km around the town, inside the state' },
    birth_date: { type: types.date(), description: 'date of birth; 18 or older when joining' },
    join_ts: { type: types.timestamp(), after: 'birth_date', description: 'when the customer signed up: in the ten years before the horizon (so before every order)' },
    is_vip: { type: types.bool(), description: 'in the VIP programme (about 4%)' },
    gdpr_consent: { type: types.bool(), description: 'consented to marketing (about 78%)' },
  }),
  rules: [
    'customer_id is 1..N without gaps; natural_key matches CUST-[A-Z0-9]{8} and is unique (the near duplicates repeat one, see below)',
    "email is well-formed: lower-case letters and digits with . or _ between the name parts, @ and a provider domain",
    'phone matches one of the Australian formats above; postcode lies in the state_region\'s postcode ranges; city is a real town of that state',
    "latitude/longitude lie inside the state's bounding box; country_code is AU",
    'birth_date is at least 18 years before join_ts; join_ts is before the first day of the horizon',
    'Anomalies (ledger): ~0.75% malformed emails (malform email); ~0.2% near duplicates: a new customer_id (1,000,000,000+) repeating an existing natural_key with a typo or case change in a name or the street; ' +
      'null phone (1%), address_line1 (0.3%) and extra null address_line2 (2% of the non-null); the customers that orders_header points at as deleted parents (fk_deleted) are absent',
  ],
  rows: 80_000,
  minRows: 100,
  // Sign-ups of the batch: new customers after the base's (customers-b000k.csv).
  increment: (ctx, k) => ({ from: ctx.rows('customers') + newCustomersThrough(ctx, k - 1), to: ctx.rows('customers') + newCustomersThrough(ctx, k) }),
  plan: (ctx) => ({
    rows(first, count) {
      const rows: Row[] = new Array(count);
      for (let i = 0; i < count; i++) rows[i] = customerRow(ctx, first + i + 1);
      return rows;
    },
  }),
  stages: (ctx) => [
    // First, so every later stage's ledger row is the row's line in customers.csv and no
    // anomaly is recorded on a row that is not written.
    dropKeys('customer_id', deletedParentKeys(FK.ordersCustomer(ctx))),
    // Duplicate natural keys: `near` gives the copy a new customer_id (1,000,000,000+, never an
    // existing one) and keeps natural_key, as a customer registered twice would be; `key` would
    // repeat customer_id instead (it keeps the primary key and copies another row's content).
    duplicate({ rate: 0.002, kinds: 'near', key: 'customer_id', columns: 'first_name,last_name,address_line1', window: 500, seed: ctx.seed + 31 }),
    missing({ rates: 'phone=0.01,address_line1=0.003,address_line2=0.02', seed: ctx.seed + 32 }),
    malform({ columns: 'email', kinds: 'email', rate: 0.0075, seed: ctx.seed + 33 }),
  ],
  output: { kind: 'file', format: 'csv', path: 'customers.csv' },
};
