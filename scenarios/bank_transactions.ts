import { checkDateRange, rateOption } from '../src/core/options.js';
import { normal, Weighted } from '../src/random/distributions.js';
import { uuid4 } from '../src/random/uuid.js';
import { defineTable, types, UUID4_PATTERN, type Row } from '../src/core/schema.js';
import { defineScenario } from '../src/core/units.js';
import { rowMaker } from '../sources/domain.js';
import { IST_MICROS, airlines, cityPicker, countryFaker, customerCount, customerPopulation, hourShare, hourlyTimeline, merchantNames, once, popularity } from '../sources/transactions.js';

/**
 * Retail bank transactions (INR), one row per transaction, in timestamp order.
 *
 * Timestamps follow a daily rhythm (quiet nights, evening peak, busier weekends): row i sits at
 * quantile (i + u) / rows of the range's intensity, so rows are sorted without a sort. Customers
 * are fixed people (home city and spending level drawn once each) and repeat by a power law;
 * merchants of a category repeat by a power law too. The channel decides which categories occur
 * (bills on net banking, groceries at the till) and an ATM row has no merchant. Fraud (debits
 * only) is likelier online, at night (India time), away from home and for large amounts; a base
 * rate scales those odds so the overall rate is the fraud-rate option.
 */
const CHANNELS = ['upi', 'card_swipe', 'online', 'net_banking', 'atm'] as const;
const CHANNEL_WEIGHTS = [0.38, 0.24, 0.16, 0.1, 0.12];
const CREDIT_SHARE = [0.08, 0.05, 0.1, 0.06, 0.15]; // refunds and cashback; cash deposits at the ATM
const CHANNEL_FRAUD = [1.2, 0.7, 3, 1.5, 1];
const CATEGORIES = ['grocery', 'travel', 'food', 'electronics', 'utilities'] as const;
const CATEGORY_BY_CHANNEL = [
  [0.35, 0.05, 0.35, 0.05, 0.2],
  [0.4, 0.08, 0.3, 0.15, 0.07],
  [0.15, 0.25, 0.25, 0.25, 0.1],
  [0.05, 0.25, 0.05, 0.1, 0.55],
];
/** Median amount (INR) and log-sd per category; ATM cash comes last. */
const AMOUNT = [[650, 0.8], [4500, 0.9], [380, 0.7], [5500, 1], [1400, 0.6], [3000, 0.6]] as const;
const AMOUNT_FRAUD = 0.5; // fraud odds x exp(0.5 z) for an amount z standard deviations up
const NIGHT_FRAUD = 3; // 00:00-04:59
const AWAY_FRAUD = 2.5; // outside the customer's home city
const AWAY_SHARE = 0.1;
/** Relative activity per hour of day and per weekday (Monday first). */
const HOURLY = [0.6, 0.35, 0.25, 0.2, 0.25, 0.5, 1.2, 2.2, 3.5, 4.5, 5.5, 6, 6.5, 6.2, 5.6, 5.3, 5.5, 6, 6.8, 7.2, 6.8, 5.5, 3.5, 1.8];
const WEEKDAY = [1, 0.95, 0.95, 1, 1.1, 1.2, 0.9];

/** Cities and merchants from faker's en_IN data, made on first use (in plan). */
const india = once(() => {
  const faker = countryFaker('India');
  const last: readonly string[] = faker.definitions.person.last_name.generic!;
  const by = (suffixes: string[], names = last) => merchantNames(names, suffixes);
  const merchants: string[][] = [
    by(['Kirana Store', 'Supermart', 'General Stores', 'Fresh Mart']),
    [...airlines(), ...by(['Tours & Travels', 'Holidays'])],
    by(['Dhaba', 'Restaurant', 'Cafe', 'Sweets', 'Bhojanalaya']),
    by(['Electronics', 'Mobile Point', 'Digital World']),
    [...by(['Electricity Board', 'Gas Ltd', 'Water Supply'], faker.definitions.location.state), ...by(['Broadband', 'Telecom'])],
  ];
  return { pickCity: cityPicker(faker.definitions.location.city_name), merchants };
});

export const bankTransactions = defineScenario({
  name: 'bank_transactions',
  summary: 'Retail bank transactions (INR) with channel, merchant, city and ~2% fraud correlated with amount, channel, hour and place',
  description:
    'One row per transaction in timestamp order over a date range, with a daily and weekly rhythm. Customers CUST-00001.. repeat by a power law, ' +
    'each with a home city and spending level; merchants repeat by a power law within their category. ATM rows have no merchant.',
  defaultRows: 100_000,
  eventTime: { column: 'timestamp', startOption: 'start' },
  examples: [
    'datagen generate bank_transactions --rows 1000000 --seed 7 --out data/bank_transactions.csv',
    'datagen generate bank_transactions --rows 50000 --customers 500 --fraud-rate 0.05 --out fraud_heavy.csv',
    'datagen pipe bank_transactions --rows 1000 --start 2025-01-01 --end 2025-01-31 | datagen csv > january.csv',
  ],
  schema: defineTable('bank_transactions', 'Retail bank account transactions', {
    transaction_id: { type: types.string(), pattern: UUID4_PATTERN, description: 'random UUID (version 4)', key: true },
    customer_id: { type: types.string(), pattern: 'CUST-\\d{5,}', description: 'CUST- + customer number, at least 5 digits; customers repeat (power law)' },
    timestamp: { type: types.timestamp(), description: 'time of the transaction (UTC; days and hours follow India time, UTC+05:30); rows are in timestamp order' },
    amount: { type: types.decimal(12, 2), min: 1, max: 500000, description: 'amount in INR, log-normal by category, 1.00 to 500000.00; ATM cash in multiples of 100' },
    transaction_type: { type: types.string(), description: 'debit (money out) or credit (refund, cashback, cash deposit)', values: ['debit', 'credit'] },
    merchant: { type: types.string(), nullable: true, description: 'merchant name; null for ATM rows' },
    merchant_category: { type: types.string(), nullable: true, description: 'merchant category; null for ATM rows', values: CATEGORIES },
    location: { type: types.string(), description: "city of the transaction, usually the customer's home city" },
    channel: { type: types.string(), description: 'how the transaction was made', values: CHANNELS },
    is_fraud: { type: types.bool(), description: 'confirmed fraud (debits only), about fraud-rate (2%) of rows' },
  }),
  rules: [
    'transaction_id is a version-4 UUID, unique; customer_id is CUST- and at least 5 digits, within 1..customers',
    'timestamp lies in [start, end + 1 day) in India time (UTC+05:30) and never decreases with the row number; nights (00:00-04:59 IST) are quiet',
    'channel about 38% upi, 24% card_swipe, 16% online, 10% net_banking, 12% atm; about 8% of rows are credits',
    'atm <=> merchant and merchant_category are null; atm amounts are multiples of 100 between 100 and 20000',
    'amount between 1.00 and 500000.00; electronics and travel have the largest median, food the smallest',
    "about 90% of a customer's transactions are in their home city",
    'is_fraud about fraud-rate (2%) overall and only on debits; more likely online than on card_swipe, at night, away from home and for larger amounts',
  ],
  options: {
    start: { type: 'date', description: 'first day of the range (YYYY-MM-DD)', default: '2024-01-01' },
    end: { type: 'date', description: 'last day of the range (YYYY-MM-DD)', default: '2024-12-31' },
    customers: { type: 'integer', min: 1, description: 'number of distinct customers (default: rows / 40)' },
    fraudRate: rateOption('share of rows flagged as fraud', 0.02),
  },

  plan(o, { rows, rng }) {
    checkDateRange('bank_transactions', o.start, o.end);
    const { pickCity, merchants: names } = india();
    const customers = customerPopulation(rng.fork('customers'), customerCount(o.customers, rows, 40), { homeCity: pickCity, spendSd: 0.35 });
    const order = rng.fork('merchants');
    const merchants = names.map((list) => popularity(list, order));
    // India's days and hours: UTC timestamps shifted by IST.
    const timeline = hourlyTimeline({ start: o.start, end: o.end, hourly: HOURLY, weekday: WEEKDAY, utcOffsetMicros: IST_MICROS });
    // Fraud odds are relative factors; base makes their mean equal to fraudRate (E[exp(a z)] = exp(a^2 / 2)).
    const night = hourShare(HOURLY, 0, 5);
    const channelMean = CHANNEL_WEIGHTS.reduce((s, w, k) => s + w * (1 - CREDIT_SHARE[k]!) * CHANNEL_FRAUD[k]!, 0);
    const base = o.fraudRate / (channelMean * (1 + night * (NIGHT_FRAUD - 1)) * (1 + AWAY_SHARE * (AWAY_FRAUD - 1)));
    const amountNorm = Math.exp((AMOUNT_FRAUD * AMOUNT_FRAUD) / 2);
    const channels = new Weighted([0, 1, 2, 3, 4], CHANNEL_WEIGHTS);
    const categories = CATEGORY_BY_CHANNEL.map((w) => new Weighted([0, 1, 2, 3, 4], w));

    return {
      rows(first, count, chunk) {
        const r = {
          id: chunk.fork('transaction_id'), customer: chunk.fork('customer_id'), time: chunk.fork('timestamp'), amount: chunk.fork('amount'),
          type: chunk.fork('transaction_type'), merchant: chunk.fork('merchant'), category: chunk.fork('merchant_category'),
          location: chunk.fork('location'), channel: chunk.fork('channel'), fraud: chunk.fork('is_fraud'),
        };
        const time = timeline.cursor(first, rows);
        const out: Row[] = new Array(count);
        for (let i = 0; i < count; i++) {
          const timestamp = time.next(r.time.float());
          const customer = customers.sample(r.customer);
          const ch = channels.pick(r.channel);
          const credit = r.type.float() < CREDIT_SHARE[ch]!;
          const cat = ch === 4 ? 5 : categories[ch]!.pick(r.category);
          const z = normal(r.amount);
          let amount = AMOUNT[cat]![0] * customers.scale[customer]! * Math.exp(AMOUNT[cat]![1] * z);
          amount = ch === 4 ? Math.min(20_000, Math.max(100, Math.round(amount / 100) * 100)) : Math.min(500_000, Math.max(1, Math.round(amount * 100) / 100));
          const away = r.location.float() < AWAY_SHARE;
          const p = credit ? 0 : base * CHANNEL_FRAUD[ch]! * (Math.exp(AMOUNT_FRAUD * z) / amountNorm) * (time.hourOfDay < 5 ? NIGHT_FRAUD : 1) * (away ? AWAY_FRAUD : 1);
          const m = ch === 4 ? null : merchants[cat]!;
          out[i] = makeRow({
            transaction_id: uuid4(r.id),
            customer_id: customers.ids[customer]!,
            timestamp,
            amount,
            transaction_type: credit ? 'credit' : 'debit',
            merchant: m ? m.pick(r.merchant) : null,
            merchant_category: ch === 4 ? null : CATEGORIES[cat]!,
            location: away ? pickCity(r.location) : customers.home[customer]!,
            channel: CHANNELS[ch]!,
            is_fraud: r.fraud.float() < p,
          });
        }
        return out;
      },
    };
  },
});

/** Rows made by `new` rather than as literals: see rowMaker. */
const makeRow = rowMaker(bankTransactions.schema);
