import { z } from "zod";
import { jsonByVenue } from "./by-venue.ts";

const money = z.number().min(0, "not negative").finite();
const collateral = z.strictObject({
  threshold: money.default(0),
  minimumTransfer: money.default(0),
  independentAmount: money.default(0),
  marginPeriodDays: z.number().min(0, "not negative").max(250, "at most 250 business days").default(10),
});
const terms = z.strictObject({
  credit: z
    .strictObject({
      spread: z.number().min(0, "not negative").max(1, "a decimal, at most 1").optional(),
      recoveryRate: z.number().min(0, "not negative").lt(1, "under 1").optional(),
      riskFreeRate: z.number().min(-0.1, "at least -0.1").max(1, "at most 1").optional(),
    })
    .optional(),
  collateral: collateral.optional(),
});

/**
 * AM_RISK_COUNTERPARTIES: each venue's credit and collateral agreement for the risk books' counterparty exposure,
 * a JSON object by venue; a field left out takes the defaults (100 bp spread, 40 % recovery, 3 % rate; no CSA).
 */
export const counterpartyTermsSetting = jsonByVenue(terms);
