-- A tenant's own default for auto-fixing media (issue #6: "an option per post or per tenant"):
-- NULL follows the service's media.auto_fix. Keep in step with ../sqlite.
ALTER TABLE tenants ADD COLUMN auto_fix BOOLEAN;
