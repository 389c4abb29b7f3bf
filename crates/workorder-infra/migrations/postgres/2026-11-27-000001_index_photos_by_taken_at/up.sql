-- The read side lists a work order's photos by takenAt, then id, a page at a time.
CREATE INDEX photos_by_taken_at ON photos (tenant_id, work_order_id, taken_at, id);
