-- Trending stocks: the shares traded per symbol in 15-minute windows.
-- Analytics watches which stocks trade most right now; each window's total is updated as
-- trades arrive, so a dashboard reading the product sees the current quarter hour move.
CREATE TABLE trending_stocks WITH (product='analytics.trending_stocks') AS
  SELECT symbol, SUM(quantity) AS total_quantity, WINDOWSTART, WINDOWEND
  FROM execution.stocktrades
  WINDOW TUMBLING (SIZE 15 MINUTES)
  GROUP BY symbol
  EMIT CHANGES;
