-- The floor: the request's essential database work as one prepared statement, exactly the
-- statement the service ran for one new photo before batching (now pg_attach_batch.rs, for a batch): find the work order in the
-- tenant and lock it FOR NO KEY UPDATE, check its status, insert the photo unless its key exists,
-- count it on the work order, and write its event to the outbox.
\set n random(1, :work_orders)
\set k random(1, 9000000000000000000)
WITH p AS (
  SELECT '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0') AS wo,
         'floor/' || :client_id || '/' || :k AS okey,
         'p' || :client_id || '-' || :k AS pid
), wo AS (
  SELECT status FROM work_orders WHERE tenant_id = 'bench' AND id = (SELECT wo FROM p) FOR NO KEY UPDATE
), ins AS (
  INSERT INTO photos (tenant_id, id, work_order_id, object_key, cdn_url, taken_at, step, created_at, api_key_id)
  SELECT 'bench', p.pid, p.wo, p.okey, 'https://cdn.example.com/b.jpg', TIMESTAMP '2026-04-15 12:00:00', 'bench',
         localtimestamp, :key_id
  FROM wo, p WHERE wo.status NOT IN ('CLOSED', 'CANCELLED')
  ON CONFLICT (tenant_id, work_order_id, object_key) DO NOTHING RETURNING tenant_id, id, created_at
), counted AS (
  UPDATE work_orders SET photo_count = photo_count + 1
  WHERE tenant_id = 'bench' AND id = (SELECT wo FROM p) AND EXISTS (SELECT 1 FROM ins)
), ev AS (
  INSERT INTO events (tenant_id, id, event_type, occurred_at, photo_id)
  SELECT tenant_id, id, 'photo.attached', created_at, id FROM ins
)
SELECT wo.status, (SELECT id FROM ins) FROM wo;
