import { checkDateRange, rateOption } from '../src/core/options.js';
import { normal, Weighted } from '../src/random/distributions.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { defineScenario } from '../src/core/units.js';
import { paddedId, rowMaker } from '../sources/domain.js';
import { IST_MICROS, airlines, cityPicker, countryFaker, customerCount, customerPopulation, hourShare, hourlyTimeline, merchantNames, once, popularity } from '../sources/transactions.js';

/**
 * Credit card spend of an Indian card issuer, one row per authorised transaction, in time order.
 *
 * Customers hold 1-3 cards (network fixed per card, mostly used on the first card); only RuPay
 * credit cards run on UPI. Amounts are log-normal per category in INR, clipped, and billed in the
 * merchant's currency abroad. Time follows India's daily rhythm and the festive season
 * (Oct-Dec). Fraud odds multiply for international, online (ECOM), cash and night-time use and
 * rise with the amount; a base rate per network scales them to the fraud-rate option.
 */
const NETWORKS = ['VISA', 'MASTERCARD', 'AMEX', 'RUPAY'] as const;
const NETWORK_WEIGHTS = [0.42, 0.32, 0.08, 0.18];
const CHANNELS = ['POS', 'ECOM', 'ATM', 'UPI'] as const;
const CHANNEL_BY_NETWORK = [[0.62, 0.35, 0.03, 0], [0.62, 0.35, 0.03, 0], [0.62, 0.38, 0, 0], [0.45, 0.25, 0.03, 0.27]];
const INTERNATIONAL = [0.03, 0.1, 0.05, 0]; // share abroad per channel
const CATEGORIES = ['grocery', 'dining', 'travel', 'fuel', 'electronics', 'apparel', 'entertainment', 'utilities', 'healthcare'] as const;
const CATEGORY_BY_CHANNEL = [
  [0.25, 0.2, 0.03, 0.15, 0.06, 0.12, 0.06, 0.05, 0.08],
  [0.1, 0.12, 0.22, 0, 0.2, 0.15, 0.12, 0.07, 0.02],
  [], // ATM: cash, no merchant
  [0.3, 0.25, 0.02, 0.12, 0.03, 0.05, 0.05, 0.08, 0.1],
];
const SUFFIXES = [['Supermarket', 'Fresh Mart', 'Grocers'], ['Restaurant', 'Cafe', 'Kitchen'], ['Travels', 'Hotels'], ['Fuels', 'Service Station'],
  ['Electronics', 'Digital', 'Mobiles'], ['Fashions', 'Boutique'], ['Cinemas', 'Entertainment'], ['Power', 'Telecom'], ['Pharmacy', 'Clinic']];
/** Median (INR) and log-sd per category; ATM cash last. */
const AMOUNT = [[1200, 0.7], [900, 0.7], [9000, 0.9], [1800, 0.5], [8000, 1], [2500, 0.8], [700, 0.7], [1500, 0.6], [1100, 0.8], [5000, 0.5]] as const;
const [MIN_INR, MAX_INR] = [10, 500_000];
const F = { international: 4, online: 2.5, atm: 1.5, night: 2, amount: 0.6 }; // fraud odds factors

/** Where cards are used: India first, then the countries with city names in faker's locale data. */
export const COUNTRIES = [
  { country: 'India', currency: 'INR', inr: 1, weight: 0 },
  { country: 'United States', currency: 'USD', inr: 83.5, weight: 0.32 },
  { country: 'Germany', currency: 'EUR', inr: 90.5, weight: 0.12 },
  { country: 'France', currency: 'EUR', inr: 90.5, weight: 0.12 },
  { country: 'Canada', currency: 'CAD', inr: 61.5, weight: 0.12 },
  { country: 'Hong Kong', currency: 'HKD', inr: 10.7, weight: 0.2 },
  { country: 'South Africa', currency: 'ZAR', inr: 4.5, weight: 0.12 },
];
/** City names and merchants (per category) of each country of COUNTRIES, from its faker locale, made on first use (in plan). */
const localeData = once(() => {
  const places = COUNTRIES.map((c) => {
    const locale = countryFaker(c.country);
    const last: readonly string[] = locale.definitions.person.last_name.generic!;
    const merchants = SUFFIXES.map((sfx, k) => [...(k === 2 ? airlines() : []), ...merchantNames(last, sfx)]);
    return { cities: locale.definitions.location.city_name as readonly string[], merchants };
  });
  return { places, pickCity: cityPicker(places[0]!.cities) };
});
const abroad = new Weighted(COUNTRIES.map((_, k) => k).slice(1), COUNTRIES.slice(1).map((c) => c.weight));
const cardId = paddedId('CARD-', 7);
const txnId = paddedId('TXN', 10);
const HOURLY = [0.5, 0.3, 0.2, 0.15, 0.2, 0.4, 1, 2, 3.2, 4.2, 5.2, 6, 6.5, 6.2, 5.6, 5.4, 5.6, 6.2, 7, 7.5, 7.2, 6, 3.8, 1.8];
const WEEKDAY = [0.95, 0.92, 0.95, 1, 1.1, 1.25, 1.05];
const MONTH = [0.95, 0.9, 0.95, 0.95, 1, 0.95, 0.95, 1, 1, 1.15, 1.25, 1.1];

export const creditCardSpend = defineScenario({
  name: 'credit_card_spend',
  summary: 'Credit card transactions: network, channel, merchant, country/currency, with fraud likelier abroad, online and for large amounts',
  description:
    'One row per card transaction, TXN0000000001.. in time order over a date range. Customers CUST-00001.. repeat by a power law and hold 1-3 cards; ' +
    'amounts are INR log-normal per category, billed in local currency abroad. ATM rows have no merchant.',
  defaultRows: 100_000,
  eventTime: { column: 'txn_timestamp', startOption: 'start' },
  examples: [
    'datagen generate credit_card_spend --rows 1000000 --seed 3 --out data/card_spend.csv',
    'datagen generate credit_card_spend --rows 200000 --fraud-rate 0.05 --customers 2000 --out fraud_training.csv',
    'datagen pipe credit_card_spend --rows 1000 --start 2024-10-01 --end 2024-11-30 | datagen csv > festive.csv',
  ],
  schema: defineTable('credit_card_spend', 'Credit card transactions', {
    transaction_id: { type: types.string(), pattern: 'TXN\\d{10,}', description: 'TXN + the 1-based row number, 10 digits', key: true },
    customer_id: { type: types.string(), pattern: 'CUST-\\d{5,}', description: 'CUST- + customer number, at least 5 digits; customers repeat (power law)' },
    card_id: { type: types.string(), pattern: 'CARD-\\d{7,}', description: 'CARD- + card number, at least 7 digits; each card belongs to one customer' },
    card_network: { type: types.string(), description: 'network of the card (fixed per card)', values: NETWORKS },
    txn_timestamp: { type: types.timestamp(), description: 'time of the transaction (UTC; days and hours follow India time); rows in time order' },
    amount: { type: types.decimal(12, 2), min: 0.01, max: 500000, description: 'amount in `currency`; log-normal per category, 10 to 500,000 INR equivalent' },
    currency: { type: types.string(), description: 'ISO 4217 currency of the amount: INR in India, local currency abroad', values: [...new Set(COUNTRIES.map((c) => c.currency))] },
    merchant: { type: types.string(), nullable: true, description: 'merchant name (airlines for travel too); null for ATM cash' },
    merchant_category: { type: types.string(), nullable: true, description: 'merchant category; null for ATM cash', values: CATEGORIES },
    channel: { type: types.string(), description: 'POS (card present), ECOM (online), ATM (cash) or UPI (RuPay only)', values: CHANNELS },
    country: { type: types.string(), description: 'country of the merchant or ATM', values: COUNTRIES.map((c) => c.country) },
    city: { type: types.string(), description: "city of the merchant or ATM (usually the customer's home city for POS in India)" },
    is_international: { type: types.bool(), description: 'country is not India' },
    is_online: { type: types.bool(), description: 'channel is ECOM' },
    is_fraud: { type: types.bool(), description: 'confirmed fraud, about fraud-rate (1%) of rows' },
  }),
  rules: [
    'transaction_id is TXN + the row number (10 digits), unique and in row order; txn_timestamp in [start, end + 1 day) India time, never decreasing',
    'each card_id belongs to exactly one customer_id and one card_network; UPI only with RUPAY cards; AMEX never at ATMs',
    'is_international <=> country is not India; currency is INR in India and the country\'s currency abroad; is_online <=> channel is ECOM',
    'ATM <=> merchant and merchant_category are null; about 5% of rows are international (10% of ECOM, 3% of POS)',
    'amount > 0 and amount x INR rate between 10 and 500,000; travel and electronics have the largest median, entertainment the smallest',
    'is_fraud about fraud-rate (1%) overall; more likely international than domestic, online than offline, and for the top 10% of INR amounts within a category than the rest',
    'more spend per day in the festive season (October-December) and on Saturdays',
  ],
  options: {
    start: { type: 'date', description: 'first day of the range (YYYY-MM-DD)', default: '2024-01-01' },
    end: { type: 'date', description: 'last day of the range (YYYY-MM-DD)', default: '2024-12-31' },
    customers: { type: 'integer', min: 1, description: 'number of distinct card holders (default: rows / 50)' },
    fraudRate: rateOption('share of rows flagged as fraud', 0.01),
  },

  plan(o, { rows, rng }) {
    checkDateRange('credit_card_spend', o.start, o.end);
    const { places, pickCity } = localeData();
    // Card holders, in customer order: id, home city, spend level, then cards (ids and networks).
    const nCustomers = customerCount(o.customers, rows, 50);
    const firstCard = new Int32Array(nCustomers + 2);
    const cardIds: string[] = [];
    const cardNetworks: number[] = [];
    const networks = new Weighted([0, 1, 2, 3], NETWORK_WEIGHTS);
    const customers = customerPopulation(rng.fork('customers'), nCustomers, {
      homeCity: pickCity,
      spendSd: 0.4,
      each(c, people) {
        const cards = people.float() < 0.65 ? 1 : people.float() < 0.75 ? 2 : 3;
        for (let k = 0; k < cards; k++) {
          cardIds.push(cardId(cardIds.length + 1));
          cardNetworks.push(networks.pick(people));
        }
        firstCard[c + 1] = cardIds.length;
      },
    });
    // Merchants per (country, category), all ranked from one stream, country by country.
    const order = rng.fork('merchants');
    const merchants = places.map((c) => c.merchants.map((names) => popularity(names, order)));
    // India's days and hours, and more spend in the festive season.
    const timeline = hourlyTimeline({ start: o.start, end: o.end, hourly: HOURLY, weekday: WEEKDAY, month: MONTH, utcOffsetMicros: IST_MICROS });
    // Fraud factors are relative odds; base makes their mean the fraud rate (E[exp(a z)] = exp(a^2 / 2)),
    // per network, so the rate holds whichever cards the busiest customers happen to hold.
    const channelFraud = [1, F.online, F.atm, 1];
    const night = hourShare(HOURLY, 0, 5);
    const base = CHANNEL_BY_NETWORK.map((mix) => {
      const mean = mix.reduce((s, w, c) => s + w * channelFraud[c]! * (1 + INTERNATIONAL[c]! * (F.international - 1)), 0);
      return o.fraudRate / (mean * (1 + night * (F.night - 1)));
    });
    const amountNorm = Math.exp((F.amount * F.amount) / 2);
    const channels = CHANNEL_BY_NETWORK.map((w) => new Weighted([0, 1, 2, 3], w));
    const categories = CATEGORY_BY_CHANNEL.map((w) => (w.length ? new Weighted(CATEGORIES.map((_, k) => k), w) : null));

    return {
      rows(first, count, chunk) {
        const r = {
          customer: chunk.fork('customer_id'), card: chunk.fork('card_id'), time: chunk.fork('txn_timestamp'), amount: chunk.fork('amount'),
          merchant: chunk.fork('merchant'), category: chunk.fork('merchant_category'), channel: chunk.fork('channel'), country: chunk.fork('country'),
          city: chunk.fork('city'), fraud: chunk.fork('is_fraud'),
        };
        const time = timeline.cursor(first, rows);
        const out: Row[] = new Array(count);
        for (let i = 0; i < count; i++) {
          const timestamp = time.next(r.time.float());
          const customer = customers.sample(r.customer);
          const cards = firstCard[customer + 1]! - firstCard[customer]!;
          const card = firstCard[customer]! + (cards === 1 || r.card.float() < 0.7 ? 0 : r.card.int(1, cards - 1));
          const net = cardNetworks[card]!;
          const ch = channels[net]!.pick(r.channel);
          const intl = r.country.float() < INTERNATIONAL[ch]!;
          const where = intl ? abroad.pick(r.country) : 0;
          const place = COUNTRIES[where]!;
          const cat = ch === 2 ? 9 : categories[ch]!.pick(r.category);
          const z = normal(r.amount);
          const inr = Math.min(MAX_INR, Math.max(MIN_INR, AMOUNT[cat]![0] * customers.scale[customer]! * Math.exp(AMOUNT[cat]![1] * z)));
          const cash = ch === 2 ? (intl ? 10 : 100) : 0; // ATMs pay out round sums
          const amount = cash ? Math.max(cash, Math.round(inr / place.inr / cash) * cash) : Math.max(0.01, Math.round((inr / place.inr) * 100) / 100);
          const p = base[net]! * (intl ? F.international : 1) * channelFraud[ch]! * (time.hourOfDay < 5 ? F.night : 1) * (Math.exp(F.amount * z) / amountNorm);
          const m = ch === 2 ? null : merchants[where]![cat]!;
          out[i] = makeRow({
            transaction_id: txnId(first + i + 1),
            customer_id: customers.ids[customer]!,
            card_id: cardIds[card]!,
            card_network: NETWORKS[net]!,
            txn_timestamp: timestamp,
            amount,
            currency: place.currency,
            merchant: m ? m.pick(r.merchant) : null,
            merchant_category: ch === 2 ? null : CATEGORIES[cat]!,
            channel: CHANNELS[ch]!,
            country: place.country,
            city: intl ? r.city.pick(places[where]!.cities) : ch === 1 ? pickCity(r.city, 0.85) : r.city.float() < 0.88 ? customers.home[customer]! : pickCity(r.city),
            is_international: intl,
            is_online: ch === 1,
            is_fraud: r.fraud.float() < p,
          });
        }
        return out;
      },
    };
  },
});

/** Rows made by `new` rather than as literals: see rowMaker. */
const makeRow = rowMaker(creditCardSpend.schema);
