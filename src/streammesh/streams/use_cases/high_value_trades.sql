-- High-value trades for review: large trades at a high price, with the trader's region.
-- Risk reviews every trade above 500 USD a share and 2,500 shares, joined with the member
-- who placed it so reviewers see where they are.
CREATE STREAM high_value_trades WITH (product='risk.high_value_trades') AS
  SELECT t.userid AS userid, u.regionid, t.symbol, t.side, t.quantity, t.price, t.account
  FROM execution.stocktrades t
  JOIN membership.users u ON t.userid = u.userid
  WHERE price > 500 AND quantity > 2500
  EMIT CHANGES;
