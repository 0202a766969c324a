-- US trades for InfoSec: every trade placed by a member of the US region (REGION_1).
-- InfoSec monitors the trades of US members, joined with their profile.
CREATE STREAM us_trades WITH (product='infosec.us_trades') AS
  SELECT t.userid AS userid, u.regionid, t.symbol, t.side, t.quantity, t.price
  FROM execution.stocktrades t
  JOIN membership.users u ON t.userid = u.userid
  WHERE regionid = 'REGION_1'
  EMIT CHANGES;
