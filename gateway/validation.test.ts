import t from "tap";
import { z } from "zod";
import { decimal, optionalDecimal, optionalMoney, parseRequest } from "./validation.ts";
import { errorMessage } from "../actors/contract/index.ts";

const order = z.object({ quantity: decimal, price: optionalDecimal, maxLoss: optionalMoney });
const details = (input: Record<string, string>): string => {
  try {
    parseRequest(order, { quantity: "1", price: "", maxLoss: "", ...input });
    return "accepted";
  } catch (e) {
    return errorMessage(e);
  }
};

t.test("a decimal field's error says what is wrong with the value, naming the field as the proto does", async (t) => {
  t.equal(details({ quantity: "-5" }), "quantity: -5 is negative: must be positive");
  t.equal(details({ quantity: "0" }), "quantity: 0 is zero: must be positive");
  t.equal(details({ price: "abc" }), 'price: "abc" is not a decimal number like "123.45"');
  t.equal(details({ price: "-2.5" }), "price: -2.5 is negative: must be positive");
  t.equal(details({ quantity: "1.123456789" }), "quantity: 1.123456789 has more than 8 decimals");
  t.equal(details({ maxLoss: "-3" }), "max_loss: -3 is negative: the amount must be 0 or more");
  t.equal(details({ quantity: "" }), "quantity: required");
  t.equal(details({ price: "", maxLoss: "" }), "accepted", "proto3's empty string is an absent optional value");
});
