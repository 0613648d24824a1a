//! `Validators`: message, topic and group rules checked before any network I/O.

use rocklet_protocol::ResponseCode;

use crate::config::AUTO_CREATE_TOPIC_KEY_TOPIC;
use crate::error::ClientError;
use crate::message::Message;

pub const CHARACTER_MAX_LENGTH: usize = 255;
pub const TOPIC_MAX_LENGTH: usize = 127;
const VALID_PATTERN: &str = "^[%|a-zA-Z0-9_-]+$";

fn illegal(s: &str) -> bool {
    !s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
}

pub fn check_group(group: &str) -> Result<(), ClientError> {
    if group.trim().is_empty() {
        return Err(ClientError::client(-1, "the specified group is blank"));
    }
    if group.len() > CHARACTER_MAX_LENGTH {
        return Err(ClientError::client(
            -1,
            "the specified group is longer than group max length 255.",
        ));
    }
    if illegal(group) {
        return Err(ClientError::client(
            -1,
            format!("the specified group[{group}] contains illegal characters, allowing only {VALID_PATTERN}"),
        ));
    }
    Ok(())
}

pub fn check_topic(topic: &str) -> Result<(), ClientError> {
    if topic.trim().is_empty() {
        return Err(ClientError::client(-1, "The specified topic is blank"));
    }
    if topic.len() > TOPIC_MAX_LENGTH {
        return Err(ClientError::client(
            -1,
            format!("The specified topic is longer than topic max length {TOPIC_MAX_LENGTH}."),
        ));
    }
    if illegal(topic) {
        return Err(ClientError::client(
            -1,
            format!("The specified topic[{topic}] contains illegal characters, allowing only {VALID_PATTERN}"),
        ));
    }
    Ok(())
}

/// `Validators.checkMessage`. Besides Java's rules (which only forbid SCHEDULE_TOPIC_XXXX),
/// sending to TBW102 is refused: it only exists as a template for auto-created topics.
pub fn check_message(msg: &Message, max_message_size: usize) -> Result<(), ClientError> {
    let illegal_code = ResponseCode::MESSAGE_ILLEGAL.as_i32();
    check_topic(&msg.topic)?;
    if msg.topic == "SCHEDULE_TOPIC_XXXX" || msg.topic == AUTO_CREATE_TOPIC_KEY_TOPIC {
        return Err(ClientError::client(
            illegal_code,
            format!("Sending message to topic[{}] is forbidden.", msg.topic),
        ));
    }
    if msg.body.is_empty() {
        return Err(ClientError::client(
            illegal_code,
            "the message body length is zero",
        ));
    }
    if msg.body.len() > max_message_size {
        return Err(ClientError::client(
            illegal_code,
            format!("the message body size over max value, MAX: {max_message_size}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(check_topic("Topic_1-%|").is_ok());
        assert!(check_topic(" ").is_err());
        assert!(check_topic("a.b").is_err());
        assert!(check_topic(&"t".repeat(128)).is_err());
        assert!(check_group("g").is_ok());
        assert!(check_group(&"g".repeat(256)).is_err());
        let m = Message::new("T", "x");
        assert!(check_message(&m, 10).is_ok());
        assert_eq!(
            check_message(&Message::new("T", ""), 10)
                .unwrap_err()
                .code(),
            13
        );
        assert_eq!(
            check_message(&Message::new("T", "x".repeat(11)), 10)
                .unwrap_err()
                .code(),
            13
        );
        assert!(check_message(&Message::new("TBW102", "x"), 10).is_err());
    }
}
