-- Up Migration
COMMENT ON TABLE users IS 'people';
-- Down Migration
