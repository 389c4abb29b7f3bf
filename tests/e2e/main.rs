//! End-to-end tests of the workorder-http binary (the service issue).
