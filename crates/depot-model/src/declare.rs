//! Two declarations written once for the many small types that need them: UUID id
//! newtypes ([`uuid_id!`]) and enums with a stable storage name per variant
//! ([`named_enum!`]).

/// A string that is not an id of the named kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a {kind} id")]
pub struct InvalidId {
    /// Which id was expected, e.g. `library`.
    pub kind: &'static str,
    /// The rejected input (at most 80 characters of it).
    pub input: String,
}

impl InvalidId {
    /// The error for `input`, truncated (inputs are untrusted and may be huge).
    pub fn new(kind: &'static str, input: &str) -> Self {
        Self {
            kind,
            input: input.chars().take(80).collect(),
        }
    }
}

/// Declares `pub struct $name(pub Uuid)`: a random `new()`, `Display` as the hyphenated
/// lower-case form, and `FromStr` accepting any UUID form (an [`InvalidId`] naming
/// `$kind` otherwise).
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new random id.
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::declare::InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| $crate::declare::InvalidId::new($kind, s))
            }
        }
    };
}
pub(crate) use uuid_id;

/// Declares a fieldless enum whose variants each have a stable upper-case storage name:
/// `ALL` (in declaration order), `as_str` and `parse`.
macro_rules! named_enum {
    (
        $(#[$doc:meta])*
        $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)+ }
    ) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable storage name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses the storage name.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    uuid_id!(
        /// A test id.
        ThingId,
        "thing"
    );

    named_enum!(
        /// A test enum.
        Colour {
            /// Red.
            Red => "RED",
            /// Blue.
            Blue => "BLUE",
        }
    );

    #[test]
    fn ids_round_trip_and_name_their_kind() {
        let id = ThingId::new();
        assert_eq!(id.to_string().parse::<ThingId>().unwrap(), id);
        let err = "nope".parse::<ThingId>().unwrap_err();
        assert_eq!(err.to_string(), "\"nope\" is not a thing id");
        assert_eq!(
            "x".repeat(500).parse::<ThingId>().unwrap_err().input.len(),
            80
        );
    }

    #[test]
    fn names_round_trip() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Colour::parse("red"), None);
    }
}
