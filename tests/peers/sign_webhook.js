// Prints a Stripe-Signature header for a payload, made by Stripe's own Node library.
// Usage: node sign_webhook.js SECRET < payload.json
'use strict';
const Stripe = require('stripe');
const stripe = new Stripe('sk_test_unused');
let payload = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { payload += chunk; });
process.stdin.on('end', () => {
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: process.argv[2] });
  // Check it the library's way too, so a wrong call here cannot pass silently.
  stripe.webhooks.constructEvent(payload, header, process.argv[2]);
  process.stdout.write(header);
});
