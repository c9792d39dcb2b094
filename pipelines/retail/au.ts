import { fakerLocale } from '../../src/random/faker-data.js';
import { Weighted } from '../../src/random/distributions.js';
import type { Rng } from '../../src/random/rng.js';
import { STATES, type State } from './shared.js';

/**
 * Australian reference data of the retail dimensions: towns with real postcodes and
 * coordinates, postcode ranges per state, phone numbers, and faker's en_AU names.
 */

/**
 * Real Australian towns with their postcode and coordinates, by state: customers live in them
 * and stores stand in them, so a city, its postcode, its state and its coordinates agree by
 * construction (faker's en_AU city names are US cities, and its postcodes are random digits).
 * `metro`: in the state capital's metropolitan area. `weight`: relative population share
 * within the state (roughly; enough to make capitals dominate).
 */
export interface Town {
  name: string;
  postcode: string;
  lat: number;
  lon: number;
  metro: boolean;
  weight: number;
}

type Row = [name: string, postcode: string, lat: number, lon: number, metro: boolean, weight: number];

const TOWNS_BY_STATE: Record<State['code'], Row[]> = {
  NSW: [
    ['Sydney', '2000', -33.8688, 151.2093, true, 12], ['Parramatta', '2150', -33.815, 151.0011, true, 10], ['Bondi', '2026', -33.8915, 151.2767, true, 5],
    ['Chatswood', '2067', -33.7969, 151.1803, true, 6], ['Penrith', '2750', -33.751, 150.6942, true, 6], ['Liverpool', '2170', -33.92, 150.9238, true, 7],
    ['Hornsby', '2077', -33.7025, 151.099, true, 5], ['Cronulla', '2230', -34.0587, 151.1526, true, 3], ['Manly', '2095', -33.7969, 151.284, true, 3],
    ['Blacktown', '2148', -33.771, 150.906, true, 7], ['Newcastle', '2300', -32.9283, 151.7817, false, 6], ['Wollongong', '2500', -34.4278, 150.8931, false, 5],
    ['Gosford', '2250', -33.424, 151.3419, false, 4], ['Wagga Wagga', '2650', -35.1082, 147.3598, false, 1.5], ['Albury', '2640', -36.0737, 146.9135, false, 1.2],
    ['Orange', '2800', -33.2835, 149.1013, false, 1], ['Dubbo', '2830', -32.2569, 148.6011, false, 1], ['Tamworth', '2340', -31.0927, 150.932, false, 1],
    ['Port Macquarie', '2444', -31.4333, 152.9, false, 1], ['Coffs Harbour', '2450', -30.2963, 153.1135, false, 1], ['Bathurst', '2795', -33.4193, 149.5775, false, 1],
    ['Lismore', '2480', -28.8125, 153.277, false, 0.8],
  ],
  VIC: [
    ['Melbourne', '3000', -37.8136, 144.9631, true, 12], ['St Kilda', '3182', -37.8676, 144.9809, true, 5], ['Richmond', '3121', -37.823, 144.998, true, 5],
    ['Box Hill', '3128', -37.8189, 145.1218, true, 6], ['Dandenong', '3175', -37.9875, 145.2149, true, 7], ['Frankston', '3199', -38.144, 145.126, true, 6],
    ['Footscray', '3011', -37.8, 144.9, true, 6], ['Glen Waverley', '3150', -37.878, 145.164, true, 5], ['Geelong', '3220', -38.1499, 144.3617, false, 5],
    ['Ballarat', '3350', -37.5622, 143.8503, false, 2], ['Bendigo', '3550', -36.757, 144.2794, false, 2], ['Shepparton', '3630', -36.38, 145.399, false, 1],
    ['Mildura', '3500', -34.208, 142.1246, false, 1], ['Warrnambool', '3280', -38.3818, 142.488, false, 0.8], ['Traralgon', '3844', -38.195, 146.541, false, 0.8],
  ],
  QLD: [
    ['Brisbane', '4000', -27.4698, 153.0251, true, 10], ['Fortitude Valley', '4006', -27.457, 153.034, true, 4], ['Chermside', '4032', -27.385, 153.031, true, 5],
    ['Indooroopilly', '4068', -27.499, 152.973, true, 4], ['Ipswich', '4305', -27.6161, 152.76, true, 5], ['Logan Central', '4114', -27.639, 153.109, true, 5],
    ['Southport', '4215', -27.967, 153.4, false, 6], ['Surfers Paradise', '4217', -28.0023, 153.4145, false, 3], ['Maroochydore', '4558', -26.66, 153.1, false, 4],
    ['Toowoomba', '4350', -27.5598, 151.9507, false, 2.5], ['Cairns', '4870', -16.9186, 145.7781, false, 2.5], ['Townsville', '4810', -19.259, 146.8169, false, 3],
    ['Mackay', '4740', -21.1411, 149.186, false, 1.5], ['Rockhampton', '4700', -23.3781, 150.5136, false, 1.5], ['Bundaberg', '4670', -24.8661, 152.3489, false, 1.2],
  ],
  WA: [
    ['Perth', '6000', -31.9523, 115.8613, true, 10], ['Fremantle', '6160', -32.0569, 115.7439, true, 4], ['Joondalup', '6027', -31.7448, 115.7661, true, 6],
    ['Midland', '6056', -31.888, 116.01, true, 4], ['Rockingham', '6168', -32.2768, 115.7295, true, 5], ['Cannington', '6107', -32.017, 115.935, true, 5],
    ['Mandurah', '6210', -32.5269, 115.7217, false, 3], ['Bunbury', '6230', -33.3271, 115.6414, false, 2], ['Geraldton', '6530', -28.7774, 114.615, false, 1],
    ['Kalgoorlie', '6430', -30.749, 121.466, false, 1], ['Albany', '6330', -35.0269, 117.8837, false, 1], ['Broome', '6725', -17.9614, 122.2359, false, 0.5],
    ['Karratha', '6714', -20.7364, 116.846, false, 0.5],
  ],
  SA: [
    ['Adelaide', '5000', -34.9285, 138.6007, true, 10], ['Glenelg', '5045', -34.98, 138.515, true, 4], ['Norwood', '5067', -34.921, 138.63, true, 4],
    ['Elizabeth', '5112', -34.712, 138.67, true, 5], ['Marion', '5043', -35.01, 138.556, true, 5], ['Mount Barker', '5251', -35.068, 138.858, false, 1.5],
    ['Mount Gambier', '5290', -37.8284, 140.7804, false, 1.2], ['Whyalla', '5600', -33.0333, 137.5833, false, 1], ['Port Augusta', '5700', -32.4925, 137.7658, false, 0.7],
    ['Port Lincoln', '5606', -34.7263, 135.8744, false, 0.6], ['Murray Bridge', '5253', -35.1197, 139.2733, false, 0.8],
  ],
  TAS: [
    ['Hobart', '7000', -42.8821, 147.3272, true, 8], ['Sandy Bay', '7005', -42.894, 147.324, true, 3], ['Glenorchy', '7010', -42.833, 147.276, true, 4],
    ['Kingston', '7050', -42.976, 147.306, true, 2], ['Launceston', '7250', -41.4332, 147.1441, false, 6], ['Devonport', '7310', -41.18, 146.35, false, 2],
    ['Burnie', '7320', -41.055, 145.903, false, 2], ['Ulverstone', '7315', -41.158, 146.172, false, 1],
  ],
  ACT: [
    ['Canberra', '2601', -35.2809, 149.13, true, 6], ['Belconnen', '2617', -35.2383, 149.066, true, 5], ['Woden', '2606', -35.346, 149.089, true, 4],
    ['Tuggeranong', '2900', -35.4244, 149.0888, true, 5], ['Gungahlin', '2912', -35.186, 149.133, true, 4], ['Kingston', '2604', -35.315, 149.144, true, 2],
  ],
  NT: [
    ['Darwin', '0800', -12.4634, 130.8456, true, 8], ['Palmerston', '0830', -12.486, 130.983, true, 4], ['Casuarina', '0810', -12.374, 130.882, true, 4],
    ['Alice Springs', '0870', -23.698, 133.8807, false, 3], ['Katherine', '0850', -14.465, 132.2635, false, 1], ['Tennant Creek', '0860', -19.648, 134.19, false, 0.4],
    ['Nhulunbuy', '0880', -12.182, 136.782, false, 0.4],
  ],
};

export const TOWNS: Record<State['code'], Town[]> = Object.fromEntries(
  Object.entries(TOWNS_BY_STATE).map(([code, rows]) => [code, rows.map(([name, postcode, lat, lon, metro, weight]) => ({ name, postcode, lat, lon, metro, weight }))]),
) as Record<State['code'], Town[]>;

const townChoice = Object.fromEntries(Object.entries(TOWNS).map(([code, towns]) => [code, new Weighted(towns, towns.map((t) => t.weight))])) as Record<State['code'], Weighted<Town>>;

/** A town of the state, by population share. */
export function townIn(state: State, rng: Rng): Town {
  return townChoice[state.code].pick(rng);
}

/** The state's capital (its first town): where a web store's warehouse is. */
export function capitalOf(state: State): Town {
  return TOWNS[state.code][0]!;
}

/**
 * Australia Post's postcode ranges of each state (the ones a postcode-state check uses).
 * ACT's 2600-2618 and 2900-2920 sit inside NSW's 2xxx block.
 */
export const POSTCODE_RANGES: Record<State['code'], Array<[number, number]>> = {
  NSW: [[2000, 2599], [2619, 2899], [2921, 2999]],
  ACT: [[200, 299], [2600, 2618], [2900, 2920]],
  VIC: [[3000, 3999], [8000, 8999]],
  QLD: [[4000, 4999], [9000, 9999]],
  SA: [[5000, 5799]],
  WA: [[6000, 6797]],
  TAS: [[7000, 7799]],
  NT: [[800, 899]],
};

export function postcodeInState(postcode: string, code: State['code']): boolean {
  if (!/^\d{4}$/.test(postcode)) return false;
  const n = Number(postcode);
  return POSTCODE_RANGES[code].some(([lo, hi]) => n >= lo && n <= hi);
}

/** A point a few kilometres around the town, kept inside the state's box. */
export function near(town: Town, state: State, rng: Rng, spread = 0.04): { latitude: number; longitude: number } {
  const clamp = (v: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, v));
  return {
    latitude: round6(clamp(town.lat + rng.between(-spread, spread), state.lat)),
    longitude: round6(clamp(town.lon + rng.between(-spread, spread), state.lon)),
  };
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

export const STATE_BY_CODE = Object.fromEntries(STATES.map((s) => [s.code, s])) as Record<State['code'], State>;

// ------------------------------------------------------------------ names

/** faker's en_AU first names (female, male), surnames and company suffixes, loaded on first use. */
let names: ReturnType<typeof loadNames> | undefined;
export const auNames = () => (names ??= loadNames());
function loadNames() {
  const d = fakerLocale('en_AU')!.definitions;
  const female: readonly string[] = d.person.first_name.female!;
  const male: readonly string[] = d.person.first_name.male!;
  const last: readonly string[] = d.person.last_name.generic!;
  const legal = d.company.legal_entity_type as readonly string[];
  // Names as they appear in email addresses, by list index (made once, not per row).
  const mail = (names: readonly string[]) => names.map((n) => n.toLowerCase().replace(/[^a-z]/g, ''));
  return { female, male, last, legal, femaleMail: mail(female), maleMail: mail(male), lastMail: mail(last) };
}

// ------------------------------------------------------------------ phones

/** The landline area code of each state (02 NSW/ACT, 03 VIC/TAS, 07 QLD, 08 WA/SA/NT). */
const AREA: Record<State['code'], string> = { NSW: '2', ACT: '2', VIC: '3', TAS: '3', QLD: '7', WA: '8', SA: '8', NT: '8' };

/** Every phone number phoneIn writes matches this (national, spaced, or +61 international forms). */
export const AU_PHONE_PATTERN = '04\\d{2} \\d{3} \\d{3}|04\\d{8}|\\+61 4\\d{2} \\d{3} \\d{3}|\\(0[2378]\\) \\d{4} \\d{4}|0[2378] \\d{4} \\d{4}|\\+61 [2378] \\d{4} \\d{4}';
export const AU_PHONE = new RegExp(`^(?:${AU_PHONE_PATTERN})$`);

const digits = (rng: Rng, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
};

/** A phone number as Australians write it: a mobile (70%) or a landline of the state's area. */
export function phoneIn(state: State, rng: Rng): string {
  if (rng.chance(0.7)) {
    const n = digits(rng, 8);
    const style = rng.int(0, 2);
    return style === 0 ? `04${n.slice(0, 2)} ${n.slice(2, 5)} ${n.slice(5)}` : style === 1 ? `04${n}` : `+61 4${n.slice(0, 2)} ${n.slice(2, 5)} ${n.slice(5)}`;
  }
  const a = AREA[state.code];
  const n = String(rng.int(2, 9)) + digits(rng, 7);
  const style = rng.int(0, 2);
  return style === 0 ? `(0${a}) ${n.slice(0, 4)} ${n.slice(4)}` : style === 1 ? `0${a} ${n.slice(0, 4)} ${n.slice(4)}` : `+61 ${a} ${n.slice(0, 4)} ${n.slice(4)}`;
}
