//! The step of the intervention a photo documents.

use std::fmt;

/// The step of the intervention the photo documents (e.g. "before", "after"): 1 to 100
/// characters once trimmed, no control character. Stored trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Step(String);

/// Why a text is not a step. `Display` is English, for logs; [`message`](Self::message) is French, for clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// Empty or white space only.
    #[error("the step is empty or white space only")]
    Blank,
    /// Over 100 characters once trimmed.
    #[error("the step is over 100 characters")]
    TooLong,
    /// Holds a control character.
    #[error("the step holds a control character")]
    ControlCharacter,
}

impl StepError {
    /// What a client is told, in French as the contract's messages are.
    pub fn message(self) -> &'static str {
        match self {
            StepError::Blank => "ne doit pas être vide ni composée uniquement d'espaces",
            StepError::TooLong => "dépasse 100 caractères",
            StepError::ControlCharacter => "contient un caractère de contrôle",
        }
    }
}

impl Step {
    /// The longest step, in characters, once trimmed.
    pub const MAX_CHARS: usize = 100;

    /// Parses a step, trimming white space around it.
    pub fn parse(raw: &str) -> Result<Self, StepError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(StepError::Blank);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(StepError::TooLong);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(StepError::ControlCharacter);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The step, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_trimmed_and_bounded() {
        let hundred = "é".repeat(100);
        let cases: Vec<(String, Result<&str, StepError>)> = vec![
            ("before".into(), Ok("before")),
            ("  after repair \t".into(), Ok("after repair")),
            (format!(" {hundred} "), Ok(hundred.as_str())),
            ("étape 2 — câblage".into(), Ok("étape 2 — câblage")),
            ("x".into(), Ok("x")),
            ("é".repeat(101), Err(StepError::TooLong)),
            (String::new(), Err(StepError::Blank)),
            ("   ".into(), Err(StepError::Blank)),
            ("\t\n\u{a0}\u{3000}".into(), Err(StepError::Blank)),
            ("a\u{0}b".into(), Err(StepError::ControlCharacter)),
            ("a\u{1b}[31mb".into(), Err(StepError::ControlCharacter)),
            ("a\u{85}b".into(), Err(StepError::ControlCharacter)),
        ];
        for (raw, expected) in cases {
            assert_eq!(Step::parse(&raw).as_ref().map(Step::as_str).map_err(|e| *e), expected, "{raw:?}");
        }
    }
}
