DROP TABLE storage_checks;
