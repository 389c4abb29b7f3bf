-- What was verified of a photo's object in object storage, when the service has one: its
-- size, stored content type, ETag, SHA-256 (hex, when the store knew it) and when it was
-- checked. All null for a photo recorded without verification; the domain writes either all
-- of size, type, ETag and instant or none. Nullable, so the previous release keeps running.
ALTER TABLE photos ADD COLUMN object_size_bytes BIGINT;
ALTER TABLE photos ADD COLUMN object_content_type TEXT;
ALTER TABLE photos ADD COLUMN object_etag TEXT;
ALTER TABLE photos ADD COLUMN object_sha256 TEXT;
ALTER TABLE photos ADD COLUMN object_verified_at TIMESTAMP;
