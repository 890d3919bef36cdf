-- User search (R-U7, SPEC §4): the search decides between walking the sort
-- order and sorting the trigram matches by how many matches there are,
-- which PostgreSQL cannot count without visiting each one. The statistics
-- of the search text hold a sample of the texts (histogram bounds); 1,000
-- of them (instead of 100) tell a query that matches one user in 200 from
-- one that matches one in 10,000 (users.go, postgresStages).
ALTER TABLE users ALTER COLUMN search SET STATISTICS 1000;
