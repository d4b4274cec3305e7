-- Example database for the Shipshape local stack (backup / restore work).
-- psql variables: customers, products, orders (row counts), note_bytes (padding per item).
-- Idempotent: drops and recreates its tables.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
BEGIN;
DROP TABLE IF EXISTS payments, order_items, orders, products, customers CASCADE;

CREATE TABLE customers (
  id          bigint PRIMARY KEY,
  email       text NOT NULL UNIQUE,
  name        text NOT NULL,
  country     char(2) NOT NULL,
  created_at  timestamptz NOT NULL
);

CREATE TABLE products (
  id          bigint PRIMARY KEY,
  sku         text NOT NULL UNIQUE,
  title       text NOT NULL,
  price_cents integer NOT NULL CHECK (price_cents >= 0)
);

CREATE TABLE orders (
  id          bigint PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers(id),
  status      text NOT NULL CHECK (status IN ('new','paid','shipped','cancelled')),
  created_at  timestamptz NOT NULL
);
CREATE INDEX orders_customer_idx ON orders(customer_id);

CREATE TABLE order_items (
  order_id    bigint NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  line        smallint NOT NULL,
  product_id  bigint NOT NULL REFERENCES products(id),
  quantity    integer NOT NULL CHECK (quantity > 0),
  note        text NOT NULL,
  PRIMARY KEY (order_id, line)
);
CREATE INDEX order_items_product_idx ON order_items(product_id);

CREATE TABLE payments (
  id           bigint PRIMARY KEY,
  order_id     bigint NOT NULL REFERENCES orders(id),
  amount_cents integer NOT NULL,
  provider     text NOT NULL,
  paid_at      timestamptz NOT NULL
);
CREATE INDEX payments_order_idx ON payments(order_id);
COMMIT;

-- Data: loaded without FK checks per row (constraints are validated at the end).
ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_order_id_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_product_id_fkey;
ALTER TABLE payments DROP CONSTRAINT payments_order_id_fkey;

INSERT INTO customers
SELECT g, 'customer' || g || '@example.test', 'Customer ' || g,
       (ARRAY['DE','FR','US','GB','NL','SE'])[1 + g % 6],
       now() - (g % 1000) * interval '1 hour'
FROM generate_series(1::bigint, :customers) g;

INSERT INTO products
SELECT g, 'SKU-' || lpad(g::text, 6, '0'), 'Product ' || g, 100 + (g * 37) % 10000
FROM generate_series(1::bigint, :products) g;

INSERT INTO orders
SELECT g, 1 + (g * 7919) % :customers,
       (ARRAY['new','paid','shipped','cancelled'])[1 + g % 4],
       now() - (g % 5000) * interval '1 minute'
FROM generate_series(1::bigint, :orders) g;

INSERT INTO order_items
SELECT o, l, 1 + (o * 31 + l) % :products, 1 + (o + l) % 5,
       repeat(md5((o * 4 + l)::text), (:note_bytes / 32) + 1)
FROM generate_series(1::bigint, :orders) o, generate_series(1, 4) l;

INSERT INTO payments
SELECT g, g, 100 + (g * 13) % 50000, (ARRAY['card','sepa','paypal'])[1 + g % 3],
       now() - (g % 5000) * interval '1 minute'
FROM generate_series(1::bigint, :orders) g
WHERE g % 4 <> 0;

ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers(id);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE;
ALTER TABLE order_items ADD CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id) REFERENCES products(id);
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders(id);
ANALYZE customers, products, orders, order_items, payments;
