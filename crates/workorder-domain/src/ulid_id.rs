//! The ids that are ULIDs (photos, keys, events, subscriptions): one definition of their
//! shape, so that each is a type of its own without four copies of the same code.

/// Defines `$name`, a ULID newtype: `new`, `ulid`, `FromStr` and `Display` (the 26-character
/// Crockford form), ordered as its ULID (so by creation time).
macro_rules! ulid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(::ulid::Ulid);

        impl $name {
            /// Wraps a ULID.
            pub fn new(id: ::ulid::Ulid) -> Self {
                Self(id)
            }

            /// The ULID.
            pub fn ulid(self) -> ::ulid::Ulid {
                self.0
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::ulid::DecodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                ::ulid::Ulid::from_string(s).map(Self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

pub(crate) use ulid_id;
