"""The popular-parent shape for bench/dsr.py (`--shape popular`): a shop whose few products
everyone buys, generated straight into PostgreSQL with `generate_series`.

For `customers` customers: 3 orders each, 2 items per order, and 10 products every item
points at (so each product is referenced by `0.6 × customers` items: 300,000 at the full
size of 500,000 customers). The person's items hang off their orders; the products they
bought are everyone's, so an erasure keeps them (shared) and deletes only their own items.
The map is `bench/popular_shop.yaml`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

MAP = Path(__file__).with_suffix(".yaml")
FULL_SIZE = 500_000  # customers: 3,000,000 order items, 300,000 per product
PRODUCTS = 10

_SCHEMA = """
CREATE TABLE customers (customer_id bigint PRIMARY KEY, email text, full_name text);
CREATE TABLE products (product_id bigint PRIMARY KEY, label text);
CREATE TABLE orders (
    order_id bigint PRIMARY KEY, customer_id bigint REFERENCES customers,
    placed_at timestamp, ship_to text);
CREATE TABLE order_items (
    item_id bigint PRIMARY KEY, order_id bigint REFERENCES orders,
    product_id bigint REFERENCES products, quantity integer);
INSERT INTO customers
    SELECT g, 'customer' || g || '@popular.example', 'Customer ' || g
    FROM generate_series(1, {n}) g;
INSERT INTO products SELECT g, 'Product ' || g FROM generate_series(1, {p}) g;
INSERT INTO orders
    SELECT g, 1 + (g - 1) % {n}, timestamp '2025-01-01' + g * interval '1 minute',
           g || ' Market Street'
    FROM generate_series(1, 3 * {n}) g;
INSERT INTO order_items
    SELECT g, 1 + (g - 1) / 2, 1 + (g * 7) % {p}, 1 + g % 3
    FROM generate_series(1, 6 * {n}) g;
CREATE INDEX customers_email ON customers (lower(trim(email)));
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX order_items_order ON order_items (order_id);
CREATE INDEX order_items_product ON order_items (product_id);
"""


def load(server: str, database: str, customers: int) -> str:
    """The shop in `database` (made again unless it already holds this size); its URL."""
    marker = json.dumps({"shape": "popular", "customers": customers})
    url = f"{server}/{database}"
    if _marker(url) == marker:
        return url
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_SCHEMA.format(n=int(customers), p=PRODUCTS).encode())
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE TABLE bench_marker (value text)")
        conn.execute("INSERT INTO bench_marker VALUES (%s)", (marker,))
    return url


def people(url: str) -> Callable[[int, random.Random], list[str]]:
    """`count` distinct customers not erased yet, drawn at random."""

    def draw(count: int, rng: random.Random) -> list[str]:
        with psycopg.connect(url) as conn:
            size = _one(conn, "SELECT max(customer_id) FROM customers") or 0
            chosen: set[str] = set()
            while len(chosen) < count:
                ids = list({rng.randint(1, size) for _ in range(2 * (count - len(chosen)))})
                rows = conn.execute(
                    "SELECT email FROM customers WHERE customer_id = ANY(%s)"
                    " AND email LIKE '%%@%%'",
                    (ids,),
                )
                chosen.update(r[0] for r in rows)
        return sorted(chosen)[:count]

    return draw


def _marker(url: str) -> str | None:
    try:
        with psycopg.connect(url) as conn:
            return _one(conn, "SELECT value FROM bench_marker")
    except psycopg.Error:
        return None


def _one(conn: psycopg.Connection[Any], query: str) -> Any:
    row = conn.execute(query).fetchone()
    return row[0] if row else None
