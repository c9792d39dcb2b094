import { checkDateRange } from '../src/core/options.js';
import { normal, poisson, truncatedNormal, Weighted } from '../src/random/distributions.js';
import type { Rng } from '../src/random/rng.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { defineScenario } from '../src/core/units.js';
import { rowMaker } from '../sources/domain.js';
import { cityPicker, countryFaker, customerId, once } from '../sources/transactions.js';

/**
 * Customer profiles of an Indian retail bank, one row per customer, CUST-00001.. in joining order.
 *
 * Everything hangs off a few drawn facts: join date (acquisitions grow ~12% a year), age (at
 * least 18 on joining), occupation (students young, retirees old) and country (about 10% are
 * non-residents, who earn more). Income is log-normal around a median for the age band;
 * risk falls with income; card and loan holding follow income and life stage; engagement
 * rises with products held and youth; churn falls with engagement and products and is highest
 * in the first year. Names are Indian (en_IN), cities come from each country's locale data.
 */
const GENDERS = ['Male', 'Female', 'Non-binary'] as const;
const RISKS = ['LOW', 'MEDIUM', 'HIGH'] as const;
const BAND_START = [18, 25, 35, 45, 55, 65]; // age bands 18-24, 25-34, ..., 65+
const BAND_INCOME = [250_000, 600_000, 950_000, 1_200_000, 950_000, 450_000]; // median INR a year
const BAND_LOAN = [0.08, 0.35, 0.45, 0.35, 0.2, 0.06];
const REFERENCE_INCOME = 600_000;
const GROWTH = 0.12 / 365; // acquisitions per day grow 12% a year
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const cents = (x: number) => Math.round(x * 100) / 100;
const thousandths = (x: number) => Math.round(x * 1000) / 1000;

const COUNTRIES = [
  { country: 'India', weight: 0.905 },
  { country: 'United States', weight: 0.035 },
  { country: 'Canada', weight: 0.02 },
  { country: 'Germany', weight: 0.01 },
  { country: 'Hong Kong', weight: 0.015 },
  { country: 'South Africa', weight: 0.015 },
];
/** Names and jobs from faker's en_IN data and each country's city names, made on first use (in plan). */
const localeData = once(() => {
  const P = countryFaker('India').definitions.person;
  const femaleNames: readonly string[] = P.first_name.female!;
  const maleNames: readonly string[] = P.first_name.male!;
  const lastNames: readonly string[] = P.last_name.generic!;
  const jobs = P.job_area.flatMap((area) => P.job_type.map((type) => `${area} ${type}`));
  const cities = COUNTRIES.map((c) => countryFaker(c.country).definitions.location.city_name as readonly string[]);
  const pickIndianCity = cityPicker(cities[0]!, 0.5); // residents: half in a metro
  // Names as they appear in addresses, by list index (made once, not per row).
  const mail = (names: readonly string[]) => names.map((n) => n.toLowerCase().replace(/[^a-z]/g, '') || 'user');
  return { femaleNames, maleNames, lastNames, jobs, cities, pickIndianCity, femaleMail: mail(femaleNames), maleMail: mail(maleNames), lastMail: mail(lastNames) };
});
const countries = new Weighted(COUNTRIES.map((_, k) => k), COUNTRIES.map((c) => c.weight));
const genders = new Weighted([0, 1, 2], [0.505, 0.485, 0.01]);

export const customer360 = defineScenario({
  name: 'customer_360',
  summary: 'Bank customer profiles: demographics, income by age band, products held, balance, risk, churn and engagement scores',
  description:
    'One row per customer, CUST-00001.. in the order they joined between start and end (ages as of end). ' +
    'Income depends on age band and occupation; products, risk, engagement and churn are correlated as a bank would see them.',
  defaultRows: 100_000,
  examples: [
    'datagen generate customer_360 --rows 100000 --seed 1 --out data/customers.csv',
    'datagen generate customer_360 --rows 20000 --start 2018-01-01 --end 2025-06-30 --out young_bank.csv',
    'datagen pipe customer_360 --rows 1000 | datagen csv > customers.csv',
  ],
  schema: defineTable('customer_360', 'Customer profiles with products and scores', {
    customer_id: { type: types.string(), pattern: 'CUST-\\d{5,}', description: 'CUST- + the 1-based row number, at least 5 digits (joining order)', key: true },
    full_name: { type: types.string(), description: 'first and last name (Indian names, first name by gender)' },
    email: { type: types.string(), pattern: '[a-z]+[._]?[a-z]+([1-9][0-9]{0,2})?@(gmail\\.com|yahoo\\.co\\.in|outlook\\.com|hotmail\\.com|rediffmail\\.com|icloud\\.com)', description: 'personal email made from the name (first.last, first_last or initial+last, sometimes a number) at a common provider' },
    age: { type: types.int32(), min: 18, description: 'age in whole years at the end date, 18 or more' },
    gender: { type: types.string(), description: 'gender', values: GENDERS },
    country: { type: types.string(), description: 'country of residence; about 10% non-residents', values: COUNTRIES.map((c) => c.country) },
    city: { type: types.string(), description: 'city of residence' },
    income_annual: { type: types.decimal(12, 2), min: 30000, max: 50000000, description: 'annual income in INR; log-normal around a median for the age band' },
    occupation: { type: types.string(), description: 'Student (under 23), Retired (60+), Homemaker (mostly women), Self-employed or a job title' },
    risk_segment: { type: types.string(), description: 'credit risk segment; HIGH is commoner at low incomes', values: RISKS },
    has_credit_card: { type: types.bool(), description: 'holds a credit card (only from age 21; likelier with income)' },
    has_loan: { type: types.bool(), description: 'has a loan (most common from 25 to 54)' },
    has_savings_account: { type: types.bool(), description: 'has a savings account (about 93%)' },
    num_products: { type: types.int32(), min: 1, max: 6, description: 'products held: the three above plus deposits, insurance, investments (1 to 6)' },
    total_balance: { type: types.decimal(12, 2), min: 0, max: 1000000000, description: 'balance across deposit products in INR; 0 when the customer holds none' },
    churn_score: { type: types.decimal(4, 3), min: 0, max: 1, description: 'modelled probability of leaving in the next year, 0 to 1' },
    engagement_score: { type: types.decimal(4, 3), min: 0, max: 1, description: 'digital and product engagement, 0 to 1' },
    customer_since: { type: types.date(), description: 'day the customer joined, between start and end, non-decreasing with customer_id' },
  }),
  rules: [
    'customer_id is CUST- + the row number (5+ digits), unique; customer_since lies in [start, end] and never decreases with the row number',
    'email is a well-formed address (local part from the name, letters, digits, . and _ only) at one of six common providers',
    'age between 18 and 90, and the customer was at least 18 when joining: age - whole years since customer_since >= 18',
    'median income rises by age band up to 45-54 and falls after; non-residents earn more than residents; Students below 23, Retired from 60',
    'HIGH risk is commoner in the lowest income quartile than in the highest; LOW the other way round',
    'has_credit_card only from age 21 and more common with higher income; about 93% have a savings account',
    'num_products between max(1, number of true has_ flags) and that number + 3; has_savings_account => total_balance > 0; total_balance >= 0',
    'churn_score and engagement_score in [0, 1]; churn is lower for the most engaged quarter than the least, lower with 3+ products than with 1, higher in the first year',
  ],
  options: {
    start: { type: 'date', description: 'first joining day (YYYY-MM-DD)', default: '2010-01-01' },
    end: { type: 'date', description: 'last joining day and the day ages are taken (YYYY-MM-DD)', default: '2024-12-31' },
  },

  plan(o, { rows }) {
    checkDateRange('customer_360', o.start, o.end);
    const span = o.end - o.start + 1;
    const grown = Math.expm1(GROWTH * span);
    const { femaleNames, maleNames, lastNames, jobs, cities, pickIndianCity, femaleMail, maleMail, lastMail } = localeData();
    // Full names by (first name, surname), made on first use: a row then holds a shared
    // string instead of a new one (fewer objects for the garbage collector to copy).
    const fullNames: string[][] = [femaleNames, maleNames].map((firsts) => new Array<string>(firsts.length * lastNames.length));
    return {
      rows(first, count, rng) {
        const r = {
          since: rng.fork('customer_since'), name: rng.fork('full_name'), age: rng.fork('age'), gender: rng.fork('gender'), country: rng.fork('country'),
          city: rng.fork('city'), income: rng.fork('income_annual'), job: rng.fork('occupation'), risk: rng.fork('risk_segment'),
          email: rng.fork('email'), products: rng.fork('num_products'), balance: rng.fork('total_balance'), churn: rng.fork('churn_score'), engagement: rng.fork('engagement_score'),
        };
        const out: Row[] = new Array(count);
        for (let i = 0; i < count; i++) {
          const n = first + i;
          // Joining day: quantile (n + u) / rows of an exponentially growing intake.
          const q = (n + r.since.float()) / rows;
          const since = o.start + Math.min(span - 1, Math.floor(Math.log1p(q * grown) / GROWTH));
          const tenure = (o.end - since) / 365.25;
          const minAge = 18 + Math.floor(tenure);
          const age = Math.floor(truncatedNormal(r.age, 36, 12, minAge, Math.max(90, minAge + 1)));
          const gender = genders.pick(r.gender);
          const female = gender === 1 || (gender === 2 && r.name.float() < 0.5);
          const k = countries.pick(r.country);
          let band = BAND_START.length - 1;
          while (age < BAND_START[band]!) band--;
          let occupation: string;
          let earns = 1;
          const u = r.job.float();
          if (age < 23 && u < 0.6) {
            occupation = 'Student';
            earns = 0.15;
          } else if (age >= 60 && u < Math.min(0.95, (age - 57) / 10)) {
            occupation = 'Retired';
            earns = 0.5;
          } else if (u < (female ? 0.14 : 0.01)) {
            occupation = 'Homemaker';
            earns = 0.2;
          } else if (u < (female ? 0.14 : 0.01) + 0.12) {
            occupation = 'Self-employed';
            earns = 1.1;
          } else occupation = r.job.pick(jobs);
          const income = Math.min(50_000_000, Math.max(30_000, BAND_INCOME[band]! * earns * (k ? 2.5 : 1) * Math.exp(normal(r.income, 0, 0.6))));
          const logIncome = Math.log(income / REFERENCE_INCOME);
          const latent = normal(r.risk) + 0.9 * logIncome - (age < 25 ? 0.4 : 0);
          const risk = latent < -0.9 ? 2 : latent > 0.4 ? 0 : 1;
          const card = age >= 21 && r.products.float() < sigmoid(-0.6 + 1.3 * logIncome) * (risk === 2 ? 0.5 : 1);
          const loan = r.products.float() < BAND_LOAN[band]!;
          const savings = r.products.float() < 0.93;
          const extras = Math.min(3, poisson(r.products, Math.max(0.05, 0.35 + 0.25 * logIncome)));
          const flags = +card + +loan + +savings;
          const products = Math.max(1, flags + extras);
          const deposits = savings || extras > 0 || flags === 0;
          const balance = deposits ? Math.max(0.01, Math.min(1e9, cents(income * 0.25 * (savings ? 1 : 0.6) * Math.exp(normal(r.balance, 0, 0.9))))) : 0;
          const engagement = sigmoid(-0.2 + 0.5 * (products - 2) + 0.025 * (40 - age) + (card ? 0.3 : 0) + normal(r.engagement, 0, 0.7));
          const churn = sigmoid(-1.3 - 3 * (engagement - 0.5) - 0.3 * (products - 2) + (tenure < 1 ? 0.7 : 0) - 0.02 * (age - 40) + (risk === 2 ? 0.4 : 0) + normal(r.churn, 0, 0.5));
          const place = COUNTRIES[k]!;
          const firsts = female ? femaleNames : maleNames;
          const f = r.name.index(firsts.length);
          const l = r.name.index(lastNames.length);
          const names = fullNames[female ? 0 : 1]!;
          const nameKey = f * lastNames.length + l;
          out[i] = makeRow({
            customer_id: customerId(n + 1),
            full_name: (names[nameKey] ??= firsts[f]! + ' ' + lastNames[l]!),
            email: emailFor((female ? femaleMail : maleMail)[f]!, lastMail[l]!, r.email),
            age,
            gender: GENDERS[gender]!,
            country: place.country,
            city: k === 0 ? pickIndianCity(r.city) : r.city.pick(cities[k]!),
            income_annual: cents(income),
            occupation,
            risk_segment: RISKS[risk]!,
            has_credit_card: card,
            has_loan: loan,
            has_savings_account: savings,
            num_products: products,
            total_balance: balance,
            churn_score: thousandths(churn),
            engagement_score: thousandths(engagement),
            customer_since: since,
          });
        }
        return out;
      },
    };
  },
});

/** Rows made by `new` rather than as literals: see rowMaker. */
const makeRow = rowMaker(customer360.schema);

/** '@' + provider, by share. */
const MAIL_DOMAINS = new Weighted(['@gmail.com', '@yahoo.co.in', '@outlook.com', '@hotmail.com', '@rediffmail.com', '@icloud.com'], [0.5, 0.15, 0.13, 0.1, 0.07, 0.05]);
/** Between first name and surname, by style: first.last, first_last, initial+last, firstlast. */
const LOCAL_SEPARATORS = ['.', '_', '', ''];
/** '', '1', .., '999': the numbers addresses end with, made once rather than per row. */
const MAIL_NUMBERS = Array.from({ length: 1000 }, (_, k) => (k ? String(k) : ''));

/**
 * A plausible personal address from the address forms of a first name and a surname (see
 * localeData): the local part from the names, sometimes a number, a provider by share.
 */
function emailFor(f: string, l: string, rng: Rng): string {
  const style = rng.int(0, 3);
  const number = rng.chance(0.45) ? rng.int(1, 999) : 0;
  return (style === 2 ? f[0]! : f) + LOCAL_SEPARATORS[style] + l + MAIL_NUMBERS[number] + MAIL_DOMAINS.pick(rng);
}
