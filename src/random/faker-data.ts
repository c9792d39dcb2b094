import { createRequire } from 'node:module';
import type { Faker } from '@faker-js/faker';

/**
 * faker's locale data, loaded on first use and one locale at a time. Importing faker's root
 * loads every locale (~270 ms and ~20 MB of heap): too much for a CLI that starts once per
 * pipe stage. Synchronous, so plan() can call it: Node >= 20.19 can require() ES modules.
 */
const require = createRequire(import.meta.url);
const loaded = new Map<string, Faker>();

export function fakerLocale(locale: string): Faker | undefined {
  let faker = loaded.get(locale);
  if (!faker) {
    if (!/^[a-z]{2,3}(_[A-Za-z]{2,4})*$/.test(locale)) return undefined;
    try {
      faker = (require(`@faker-js/faker/locale/${locale}`) as { faker: Faker }).faker;
    } catch {
      return undefined;
    }
    loaded.set(locale, faker);
  }
  return faker;
}
