ALTER TABLE photos DROP COLUMN object_verified_at;
ALTER TABLE photos DROP COLUMN object_sha256;
ALTER TABLE photos DROP COLUMN object_etag;
ALTER TABLE photos DROP COLUMN object_content_type;
ALTER TABLE photos DROP COLUMN object_size_bytes;
