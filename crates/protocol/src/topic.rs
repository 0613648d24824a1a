//! Topic and group name rules (Java `TopicValidator` / `Validators`): one rule set for the
//! client, the broker and the store. Each caller words the refusal as its Java counterpart
//! does; the rules themselves live only here.

/// `TopicValidator.TOPIC_MAX_LENGTH`: a stored record keeps the topic length in one byte.
pub const TOPIC_MAX_LENGTH: usize = 127;
/// `Validators.CHARACTER_MAX_LENGTH`: the longest consumer or producer group name.
pub const GROUP_MAX_LENGTH: usize = 255;
/// The pattern Java quotes in its refusals.
pub const VALID_PATTERN: &str = "^[%|a-zA-Z0-9_-]+$";

/// Why a name breaks the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// Empty or only whitespace.
    Blank,
    /// A character outside `[%|a-zA-Z0-9_-]`.
    IllegalCharacters,
    /// Longer than the limit for its kind.
    TooLong,
}

/// True when every byte is one of `[%|a-zA-Z0-9_-]` (Java's `VALID_CHAR_BIT_MAP`). These are
/// also safe as a directory name, which is what the store needs.
pub fn is_legal(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
}

/// Which rule Java tests first when a name breaks two (the broker's `TopicValidator` tests the
/// characters first, the 4.9.3 client's `Validators` the length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// blank, characters, length (`TopicValidator.validateTopic`).
    CharactersFirst,
    /// blank, length, characters (`Validators.checkTopic` / `checkGroup`).
    LengthFirst,
}

/// The name rules: not blank, `[%|a-zA-Z0-9_-]` only, at most `max_len` bytes.
pub fn check_name(name: &str, max_len: usize, order: Order) -> Result<(), NameError> {
    if name.trim().is_empty() {
        return Err(NameError::Blank);
    }
    let (illegal, long) = (!is_legal(name), name.len() > max_len);
    match (order, illegal, long) {
        (Order::CharactersFirst, true, _) | (Order::LengthFirst, true, false) => {
            Err(NameError::IllegalCharacters)
        }
        (_, _, true) => Err(NameError::TooLong),
        _ => Ok(()),
    }
}

/// The topic rules in the broker's order (see [`check_name`]).
pub fn check_topic(topic: &str) -> Result<(), NameError> {
    check_name(topic, TOPIC_MAX_LENGTH, Order::CharactersFirst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(check_topic("Topic_1-%|"), Ok(()));
        assert_eq!(check_topic(""), Err(NameError::Blank));
        assert_eq!(check_topic("  "), Err(NameError::Blank));
        assert_eq!(check_topic("a.b"), Err(NameError::IllegalCharacters));
        assert_eq!(check_topic("a/b"), Err(NameError::IllegalCharacters));
        assert_eq!(check_topic(".."), Err(NameError::IllegalCharacters));
        assert_eq!(check_topic(&"t".repeat(127)), Ok(()));
        assert_eq!(check_topic(&"t".repeat(128)), Err(NameError::TooLong));
        let group = |g: &str| check_name(g, GROUP_MAX_LENGTH, Order::LengthFirst);
        assert_eq!(group(&"g".repeat(255)), Ok(()));
        assert_eq!(group(&"g".repeat(256)), Err(NameError::TooLong));
        let both = format!("{}.", "t".repeat(130));
        assert_eq!(check_topic(&both), Err(NameError::IllegalCharacters));
        let client = check_name(&both, TOPIC_MAX_LENGTH, Order::LengthFirst);
        assert_eq!(client, Err(NameError::TooLong));
    }
}
