/** Prints the Markdown table of the risk book's deny reasons, generated from the DenyReason enum. */
import { denyReasonTable } from "../actors/risk-book/index.ts";

process.stdout.write(`## Pre-trade deny reasons\n\n${denyReasonTable()}\n`);
