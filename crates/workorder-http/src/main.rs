//! The workorder-http binary (wired in the service issue).

fn main() {}
