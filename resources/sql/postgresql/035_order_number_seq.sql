-- Order numbers come from one sequence, so processes sharing the database never hand out the
-- same one (a refused checkout may leave a gap).
CREATE SEQUENCE order_number_seq;
SELECT setval('order_number_seq', (SELECT COALESCE(MAX(number), 1000) FROM orders));
