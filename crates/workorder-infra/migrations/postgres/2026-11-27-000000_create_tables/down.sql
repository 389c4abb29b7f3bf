DROP TABLE photos;
DROP TABLE work_orders;
DROP TABLE api_keys;
