//! `Validators`: message, topic and group rules checked before any network I/O.

use rocklet_protocol::ResponseCode;

use crate::config::AUTO_CREATE_TOPIC_KEY_TOPIC;
use crate::error::ClientError;
use crate::message::Message;

use rocklet_protocol::topic::{
    check_name, NameError, Order, GROUP_MAX_LENGTH, TOPIC_MAX_LENGTH, VALID_PATTERN,
};

/// `Validators.checkGroup`, in its words (the rules are `rocklet_protocol::topic`'s).
pub fn check_group(group: &str) -> Result<(), ClientError> {
    check_name(group, GROUP_MAX_LENGTH, Order::LengthFirst).map_err(|e| {
        ClientError::client(
            -1,
            match e {
                NameError::Blank => "the specified group is blank".to_owned(),
                NameError::TooLong => {
                    format!("the specified group is longer than group max length {GROUP_MAX_LENGTH}.")
                }
                NameError::IllegalCharacters => format!(
                    "the specified group[{group}] contains illegal characters, allowing only {VALID_PATTERN}"
                ),
            },
        )
    })
}

/// `Validators.checkTopic`, in its words (the rules are `rocklet_protocol::topic`'s).
pub fn check_topic(topic: &str) -> Result<(), ClientError> {
    check_name(topic, TOPIC_MAX_LENGTH, Order::LengthFirst).map_err(|e| {
        ClientError::client(
            -1,
            match e {
                NameError::Blank => "The specified topic is blank".to_owned(),
                NameError::TooLong => {
                    format!("The specified topic is longer than topic max length {TOPIC_MAX_LENGTH}.")
                }
                NameError::IllegalCharacters => format!(
                    "The specified topic[{topic}] contains illegal characters, allowing only {VALID_PATTERN}"
                ),
            },
        )
    })
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
