-- Orders are looked up by payment reference only once they have one (a Stripe PaymentIntent or a
-- refund's reference): the index keeps just those rows, so placing an order writes no page of
-- it (every checkout inserted a NULL into it).
DROP INDEX orders_payment_ref;
CREATE INDEX orders_payment_ref ON orders(payment_ref) WHERE payment_ref IS NOT NULL;
