-- One row the readiness check rewrites while writes fail, to learn when the storage takes
-- writes again (disk freed, file writable, primary back). It holds no tenant's data: under
-- Citus it is a reference table.
CREATE TABLE storage_checks (
    id         INTEGER   NOT NULL PRIMARY KEY CHECK (id = 1),
    checked_at TIMESTAMP NOT NULL
);
INSERT INTO storage_checks (id, checked_at) VALUES (1, CURRENT_TIMESTAMP);
