//! The actix-web adapter (the service issue).
