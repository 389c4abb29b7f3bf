//! Which field of a request broke a rule, and the client's message for it: the details of an
//! invalid-input error.

use std::fmt;

/// A field of a request, named as clients spell it; ordered as in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `minioObjectKey`
    MinioObjectKey,
    /// `cdnUrl`
    CdnUrl,
    /// `takenAt`
    TakenAt,
    /// `step`
    Step,
    /// The request body as a whole (not an object, malformed JSON, …).
    Body,
    /// The `limit` query parameter of a listing.
    Limit,
    /// The `cursor` query parameter of a listing.
    Cursor,
    /// A stored object's size.
    Size,
    /// `contentType` of an upload ticket, or a stored object's content type.
    ContentType,
    /// `contentLength` of an upload ticket.
    ContentLength,
    /// `sha256` of an upload ticket.
    Sha256,
    /// A stored object's bytes.
    Content,
    /// The `after` query parameter of the events feed.
    After,
}

impl Field {
    /// The field's name as it appears in the request body.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::MinioObjectKey => "minioObjectKey",
            Field::CdnUrl => "cdnUrl",
            Field::TakenAt => "takenAt",
            Field::Step => "step",
            Field::Body => "body",
            Field::Limit => "limit",
            Field::Cursor => "cursor",
            Field::Size => "size",
            Field::ContentType => "contentType",
            Field::ContentLength => "contentLength",
            Field::Sha256 => "sha256",
            Field::Content => "content",
            Field::After => "after",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule: which field, and why, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    field: Field,
    message: String,
}

impl FieldError {
    /// A field error with its French message.
    pub fn new(field: Field, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }

    /// The field that breaks a rule.
    pub fn field(&self) -> Field {
        self.field
    }

    /// Why, in French, for the client.
    pub fn message(&self) -> &str {
        &self.message
    }
}
