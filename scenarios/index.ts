import { attendance } from './attendance.js';
import { bankTransactions } from './bank_transactions.js';
import { creditCardSpend } from './credit_card_spend.js';
import { customer360 } from './customer_360.js';
import { customersCdc } from './customers_cdc.js';
import { ecommerceEvents } from './ecommerce_events.js';
import { experiments } from './experiments.js';
import { iotSensors } from './iot_sensors.js';
import { loanRepayments } from './loan_repayments.js';
import { loans } from './loans.js';
import { productsCdc } from './products_cdc.js';
import { sales } from './sales.js';
import { sparkLogs } from './spark_logs.js';

/** Every scenario, by registry name. Adding a scenario: one file in this folder plus one line here. */
export const scenarios = [
  attendance,
  loans,
  loanRepayments,
  bankTransactions,
  creditCardSpend,
  customer360,
  sparkLogs,
  iotSensors,
  experiments,
  sales,
  ecommerceEvents,
  customersCdc,
  productsCdc,
] as const;
