//! A request body as a client sent it, before any rule: each field absent, `null`, text, or
//! of another JSON type, and a body that could not be read as an object at all. With these,
//! an embedder's transport reports what the contract says, in its order and with its
//! messages, without restating any of them: it only says what it found.

use crate::error::{Error, Field, FieldError};

/// One body field as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldInput<'a> {
    /// Not in the body.
    #[default]
    Absent,
    /// `null`: the same as absent.
    Null,
    /// A JSON string.
    Text(&'a str),
    /// A number, a boolean, an array or an object: refused, with [`FieldInput::WRONG_TYPE`].
    WrongType,
}

impl<'a> FieldInput<'a> {
    /// What a field of another type than string is told.
    pub const WRONG_TYPE: &'static str = "doit être une chaîne de caractères";

    /// The text, if it is one; a field of the wrong type adds its error to `errors`.
    pub fn text(self, field: Field, errors: &mut Vec<FieldError>) -> Option<&'a str> {
        match self {
            FieldInput::Absent | FieldInput::Null => None,
            FieldInput::Text(text) => Some(text),
            FieldInput::WrongType => {
                errors.push(FieldError::new(field, Self::WRONG_TYPE));
                None
            }
        }
    }
}

/// The photo body's four fields as sent, for [`crate::AttachPhoto::command_from_input`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PhotoInput<'a> {
    /// `minioObjectKey`.
    pub minio_object_key: FieldInput<'a>,
    /// `cdnUrl`.
    pub cdn_url: FieldInput<'a>,
    /// `takenAt`.
    pub taken_at: FieldInput<'a>,
    /// `step`.
    pub step: FieldInput<'a>,
}

/// Why a body could not be read as a JSON object; each is a `body` field error, checked
/// before any field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyProblem {
    /// Not valid UTF-8 (RFC 8259 §8.1), anywhere, unknown fields included; `byte` is the
    /// 1-based offset of the first invalid byte.
    NotUtf8 {
        /// Where.
        byte: usize,
    },
    /// Not JSON, or cut off, at this 1-based line and column.
    Malformed {
        /// The line.
        line: usize,
        /// The column.
        column: usize,
    },
    /// JSON, but not an object, or an object with a field twice.
    NotAnObject,
}

impl BodyProblem {
    /// The contract's message for it.
    pub fn message(self) -> String {
        match self {
            BodyProblem::NotUtf8 { byte } => format!("le corps n'est pas de l'UTF-8 valide (octet {byte})"),
            BodyProblem::Malformed { line, column } => {
                format!("JSON invalide ou tronqué (ligne {line}, colonne {column})")
            }
            BodyProblem::NotAnObject => "le corps doit être un objet JSON, sans champ en double".to_owned(),
        }
    }

    /// It as the error of the field `body`.
    pub fn field_error(self) -> FieldError {
        FieldError::new(Field::Body, self.message())
    }
}

/// A photo body that could not be read is an invalid photo, on its field `body`.
impl From<BodyProblem> for Error {
    fn from(problem: BodyProblem) -> Self {
        Error::InvalidPhoto(vec![problem.field_error()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_and_null_are_no_text_and_a_wrong_type_is_an_error() {
        let mut errors = Vec::new();
        assert_eq!(FieldInput::Absent.text(Field::Step, &mut errors), None);
        assert_eq!(FieldInput::Null.text(Field::Step, &mut errors), None);
        assert_eq!(FieldInput::Text("x").text(Field::Step, &mut errors), Some("x"));
        assert!(errors.is_empty());
        assert_eq!(FieldInput::WrongType.text(Field::CdnUrl, &mut errors), None);
        assert_eq!(errors, vec![FieldError::new(Field::CdnUrl, FieldInput::WRONG_TYPE)]);
    }

    #[test]
    fn body_problems_carry_the_contracts_messages_on_the_body_field() {
        assert_eq!(
            BodyProblem::NotUtf8 { byte: 7 }.message(),
            "le corps n'est pas de l'UTF-8 valide (octet 7)"
        );
        assert_eq!(
            BodyProblem::Malformed { line: 1, column: 19 }.message(),
            "JSON invalide ou tronqué (ligne 1, colonne 19)"
        );
        match Error::from(BodyProblem::NotAnObject) {
            Error::InvalidPhoto(fields) => {
                assert_eq!(fields.len(), 1);
                assert_eq!(fields[0].field(), Field::Body);
            }
            other => panic!("{other:?}"),
        }
    }
}
