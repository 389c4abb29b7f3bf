// @generated automatically by Diesel CLI.

diesel::table! {
    api_keys (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        label -> Text,
        secret_hash -> Bytea,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    events (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        event_type -> Text,
        occurred_at -> Timestamp,
        photo_id -> Text,
        position -> Nullable<Int8>,
    }
}

diesel::table! {
    photos (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        work_order_id -> Text,
        object_key -> Text,
        cdn_url -> Text,
        taken_at -> Timestamp,
        step -> Nullable<Text>,
        created_at -> Timestamp,
        api_key_id -> Text,
        object_size_bytes -> Nullable<Int8>,
        object_content_type -> Nullable<Text>,
        object_etag -> Nullable<Text>,
        object_sha256 -> Nullable<Text>,
        object_verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    work_orders (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        status -> Text,
        title -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        photo_count -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (tenant_id, subscription_id, event_id) {
        tenant_id -> Text,
        subscription_id -> Text,
        event_id -> Text,
        state -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_subscriptions (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        url -> Text,
        secret_ciphertext -> Bytea,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    events,
    photos,
    webhook_deliveries,
    webhook_subscriptions,
    work_orders,
);
