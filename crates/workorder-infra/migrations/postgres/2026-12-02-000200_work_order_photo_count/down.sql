ALTER TABLE work_orders DROP COLUMN photo_count;
