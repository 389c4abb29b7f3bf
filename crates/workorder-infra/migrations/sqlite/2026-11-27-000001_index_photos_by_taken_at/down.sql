DROP INDEX photos_by_taken_at;
