import { dropKeys, type TableDefinition } from '../../src/core/dataset.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { deletedParentKeys } from '../../transforms/corrupt-fk.js';
import { missing } from '../../transforms/missing.js';
import { outliers } from '../../transforms/outliers.js';
import { CATEGORIES, codeOf, FK, productAt, productLife, type Category, type Ctx, type RetailOptions } from './shared.js';

/** What a product of each subcategory is called (the noun of its name). */
const NOUNS: Record<`${Category}/${string}`, readonly string[]> = {
  'Electronics/Phones': ['Smartphone', 'Phone Case', 'Screen Protector', 'Wireless Charger'],
  'Electronics/Laptops': ['Laptop', 'Notebook', 'Ultrabook', 'Laptop Sleeve'],
  'Electronics/Audio': ['Headphones', 'Earbuds', 'Bluetooth Speaker', 'Soundbar'],
  'Electronics/Cameras': ['Digital Camera', 'Action Camera', 'Tripod', 'Camera Lens'],
  'Electronics/Accessories': ['USB-C Cable', 'Power Bank', 'Wall Charger', 'HDMI Cable'],
  'Home/Kitchen': ['Frypan', "Chef's Knife", 'Kettle', 'Toaster', 'Blender'],
  'Home/Furniture': ['Bookcase', 'Coffee Table', 'Office Chair', 'Bedside Table'],
  'Home/Bedding': ['Quilt Cover Set', 'Pillow', 'Sheet Set', 'Doona'],
  'Home/Decor': ['Table Lamp', 'Wall Mirror', 'Cushion', 'Vase'],
  'Home/Cleaning': ['Mop', 'Stick Vacuum', 'Microfibre Cloths', 'Spray Bottle'],
  'Apparel/Womens': ['Dress', 'Blouse', 'Jeans', 'Cardigan'],
  'Apparel/Mens': ['Polo Shirt', 'Chinos', 'Hoodie', 'Jacket'],
  'Apparel/Kids': ['T-Shirt', 'Shorts', 'Pyjamas', 'Raincoat'],
  'Apparel/Shoes': ['Sneakers', 'Boots', 'Sandals', 'Thongs', 'Loafers'],
  'Apparel/Accessories': ['Belt', 'Cap', 'Scarf', 'Wallet', 'Sunglasses'],
  'Outdoor/Camping': ['Tent', 'Sleeping Bag', 'Camp Chair', 'Esky'],
  'Outdoor/Garden': ['Hose', 'Secateurs', 'Planter', 'Garden Gloves'],
  'Outdoor/BBQ': ['BBQ Tongs', 'Gas BBQ', 'BBQ Cover', 'Grill Brush'],
  'Outdoor/Cycling': ['Bike Helmet', 'Bike Light', 'Bike Lock', 'Drink Bottle'],
  'Outdoor/Fishing': ['Fishing Rod', 'Tackle Box', 'Reel', 'Fishing Line'],
  'Beauty/Skincare': ['Moisturiser', 'Sunscreen SPF50', 'Cleanser', 'Serum'],
  'Beauty/Makeup': ['Lipstick', 'Mascara', 'Foundation', 'Eyeliner'],
  'Beauty/Haircare': ['Shampoo', 'Conditioner', 'Hair Dryer', 'Hair Brush'],
  'Beauty/Fragrance': ['Eau de Parfum', 'Eau de Toilette', 'Body Mist'],
  'Toys/Games': ['Board Game', 'Card Game', 'Video Game'],
  'Toys/Puzzles': ['Jigsaw Puzzle', 'Puzzle Cube', 'Floor Puzzle'],
  'Toys/Outdoor Toys': ['Trampoline', 'Water Pistol', 'Kite', 'Scooter'],
  'Toys/Building': ['Building Blocks', 'Construction Set', 'Marble Run'],
  'Grocery/Pantry': ['Pasta', 'Olive Oil', 'Rolled Oats', 'Honey'],
  'Grocery/Snacks': ['Potato Chips', 'Muesli Bars', 'Chocolate Block', 'Rice Crackers'],
  'Grocery/Drinks': ['Sparkling Water', 'Coffee Beans', 'Green Tea', 'Orange Juice'],
  'Grocery/Health': ['Multivitamin', 'Fish Oil', 'Protein Powder', 'Vitamin C'],
};
const BRANDS = ['Kookaburra', 'Southern Cross', 'Wattle & Co', 'Harbourline', 'Blue Gum', 'Red Centre', 'Coral Coast', 'Banksia', 'Jarrah', 'Bushland', 'Saltwater', 'Eucalypt', 'Ironbark', 'Sunburnt', 'Murray', 'Tasman'];
const ADJECTIVES = ['Classic', 'Premium', 'Essential', 'Pro', 'Eco', 'Deluxe', 'Compact', 'Everyday', 'Ultra', 'Lite', 'Original', 'Signature'];

/** SKU: SKU- and 6 base-36 characters, a bijection of product_id (never two alike). */
export function productSku(ctx: Ctx, productId: number): string {
  return `SKU-${codeOf(ctx, 'products', productId, 6)}`;
}

/** products: the catalogue; category, subcategory and price are productAt's, which order lines use. */
export const products: TableDefinition<RetailOptions> = {
  name: 'products',
  schema: defineTable('products', 'Products: the catalogue with current prices', {
    product_id: { type: types.int64(), min: 1, description: 'product key (1..N)', key: true },
    sku: { type: types.string(), pattern: 'SKU-[A-Z0-9]{6}', description: 'SKU- and 6 characters A-Z0-9, a scramble of product_id (unique by construction)' },
    name: { type: types.string(), description: 'brand, sometimes a range adjective, and what it is (from the subcategory)' },
    category: { type: types.string(), description: 'top-level category', values: Object.keys(CATEGORIES) },
    subcategory: { type: types.string(), values: [...new Set(Object.values(CATEGORIES).flat())], description: 'subcategory within the category' },
    current_price: { type: types.decimal(12, 4), min: 1, description: 'current price in AUD (the unit_price of its order lines)' },
    currency: { type: types.string(), description: 'currency of current_price (AUD)', values: ['AUD'] },
    is_discontinued: { type: types.bool(), description: 'no longer sold (about 8%)' },
    introduced_dt: { type: types.date(), description: 'day the product was introduced: before the horizon' },
    discontinued_dt: { type: types.date(), after: 'introduced_dt', description: 'day it was discontinued, within the horizon; null unless is_discontinued', nullable: true },
  }),
  rules: [
    'product_id is 1..N without gaps; sku matches SKU-[A-Z0-9]{6} and is unique',
    "category, subcategory and current_price are those the product's order lines see (unit_price = current_price); current_price > 0",
    'introduced_dt is before the horizon; discontinued_dt is set exactly when is_discontinued, after introduced_dt and within the horizon',
    'Anomalies (ledger): ~0.15% null current_price (missing), ~0.15% invalid current_price (outliers: negative, or x1000 / /1000 unit errors); ' +
      '~10% of discontinued products have a null discontinued_dt; the products order lines point at as deleted parents (fk_deleted) are absent',
  ],
  rows: 25_000,
  minRows: 50,
  plan: (ctx) => {
    return {
      rows(first, count) {
        const rows: Row[] = new Array(count);
        for (let i = 0; i < count; i++) {
          const id = first + i + 1;
          const facts = productAt(ctx, id);
          const rng = ctx.at('products', 'catalogue').fork(id);
          const noun = rng.pick(NOUNS[`${facts.category}/${facts.subcategory}`]!);
          const name = rng.chance(0.6) ? `${rng.pick(BRANDS)} ${rng.pick(ADJECTIVES)} ${noun}` : `${rng.pick(BRANDS)} ${noun}`;
          const life = productLife(ctx, id);
          rows[i] = {
            product_id: id,
            sku: productSku(ctx, id),
            name,
            category: facts.category,
            subcategory: facts.subcategory,
            current_price: facts.price,
            currency: 'AUD',
            is_discontinued: life.discontinued !== undefined,
            introduced_dt: life.introduced,
            discontinued_dt: life.discontinued ?? null,
          };
        }
        return rows;
      },
    };
  },
  stages: (ctx) => [
    // First, so the later stages' ledger rows are lines of products.csv (see customers).
    dropKeys('product_id', deletedParentKeys(FK.linesProduct(ctx))),
    missing({ columns: 'current_price', rate: 0.0015, seed: ctx.seed + 41 }),
    // Invalid prices that still load as decimal(12,4): malform's text would make the column untyped.
    outliers({ columns: 'current_price', kinds: 'sign_flip,unit_x1000', rate: 0.0015, seed: ctx.seed + 42 }),
    missing({ columns: 'discontinued_dt', rate: 0.1, when: 'is_discontinued=true', seed: ctx.seed + 43 }),
  ],
  output: { kind: 'file', format: 'csv', path: 'products.csv' },
};
