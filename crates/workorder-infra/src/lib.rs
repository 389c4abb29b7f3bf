//! The diesel adapters (the service issue).
