// Stripe-Signature headers made by Stripe's own Node library (stripe.webhooks).
// Usage:
//   node sign_webhook.js SECRET < payload.json        prints one header for the payload
//   node sign_webhook.js --batch < requests.json      requests: [{payload, secret, timestamp?,
//                                                     scheme?}], prints a JSON array of headers
// `timestamp` (Unix seconds) and `scheme` (default v1) go to generateTestHeaderString as they
// are, so tests can make stale or future timestamps and other schemes the library's way.
'use strict';
const Stripe = require('stripe');
const stripe = new Stripe('sk_test_unused');

function sign({ payload, secret, timestamp, scheme }) {
  const opts = { payload, secret };
  if (timestamp !== undefined && timestamp !== null) opts.timestamp = timestamp;
  if (scheme) opts.scheme = scheme;
  const header = stripe.webhooks.generateTestHeaderString(opts);
  // Check it the library's way too (at the header's own time), so a wrong call here cannot
  // pass silently. Only the v1 scheme verifies: that is what Stripe sends.
  if (!scheme || scheme === 'v1') {
    const at = Number(header.split(',')[0].slice(2));
    stripe.webhooks.constructEvent(payload, header, secret, 300, undefined, at);
  }
  return header;
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  if (process.argv[2] === '--batch') {
    process.stdout.write(JSON.stringify(JSON.parse(input).map(sign)));
  } else {
    process.stdout.write(sign({ payload: input, secret: process.argv[2] }));
  }
});
