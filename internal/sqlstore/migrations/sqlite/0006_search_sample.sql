-- User search: PostgreSQL's migration 0006 enlarges the sample of search
-- texts its statistics keep. SQLite counts its trigram matches through
-- FTS5 instead (users.go, sqliteStages): nothing to do here.
SELECT 1;
