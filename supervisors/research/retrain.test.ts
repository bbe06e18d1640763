import t from "tap";
import { retrainDecision } from "./retrain.ts";

const shadow = { version: 2, mode: "shadow" as const, loaded: true, compared: 640, signAgreement: 0.9, failures: 0 };

t.test("a candidate is promoted only when its out-of-sample figure beats the live version's", async (t) => {
  t.match(retrainDecision("gbt", { ic: 0.03 }, { ic: 0.02 }), { promote: true, reason: /ic 0.03 beats the live version's 0.02/ });
  t.match(retrainDecision("gbt", { ic: 0.02 }, { ic: 0.02 }), { promote: false, reason: /does not beat/ });
  t.match(retrainDecision("gbt", { ic: 0.01 }, { ic: 0.02 }), { promote: false });
  // pinball loss: lower is better
  t.match(retrainDecision("seq", { pinball: 2.9e-4 }, { pinball: 3e-4 }), { promote: true });
  t.match(retrainDecision("seq", { pinball: 3.1e-4 }, { pinball: 3e-4 }), { promote: false });
  t.match(retrainDecision("gbt", { ic: 0.01 }, undefined), { promote: true, reason: /no live version/ });
  t.match(retrainDecision("gbt", { rmse: 0.1 }, { ic: 0.02 }), { promote: false, reason: /no out-of-sample ic/ });
});

t.test("a shadow run counts where it ran: a failing or silent one blocks the candidate", async (t) => {
  t.match(retrainDecision("gbt", { ic: 0.03 }, { ic: 0.02 }, shadow), {
    promote: true,
    reason: /640 forecasts compared, sign agreement 0.9/,
  });
  t.match(retrainDecision("gbt", { ic: 0.03 }, { ic: 0.02 }, { ...shadow, failures: 3 }), { promote: false, reason: /failed 3 times/ });
  t.match(retrainDecision("gbt", { ic: 0.03 }, { ic: 0.02 }, { ...shadow, compared: 0 }), {
    promote: false,
    reason: /compared no forecast/,
  });
});
