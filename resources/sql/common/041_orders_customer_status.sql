-- A customer's orders in one state (the unpaid-order and held-unit caps read them at every
-- checkout): without it the planner may walk every order in that state through orders_status.
CREATE INDEX orders_customer_status ON orders(customer_id, status);
