//! Client errors, mirroring Java's `MQClientException` (with `ClientErrorCode` or a response
//! code), `MQBrokerException` and the remoting exceptions.

use rocklet_protocol::ProtocolError;
use rocklet_remoting::RemotingError;

/// `org.apache.rocketmq.client.common.ClientErrorCode`.
pub mod client_error_code {
    pub const CONNECT_BROKER_EXCEPTION: i32 = 10001;
    pub const ACCESS_BROKER_TIMEOUT: i32 = 10002;
    pub const BROKER_NOT_EXIST_EXCEPTION: i32 = 10003;
    pub const NO_NAME_SERVER_EXCEPTION: i32 = 10004;
    pub const NOT_FOUND_TOPIC_EXCEPTION: i32 = 10005;
    pub const REQUEST_TIMEOUT_EXCEPTION: i32 = 10006;
    pub const CREATE_REPLY_MESSAGE_EXCEPTION: i32 = 10007;
}

/// Link Java appends to many client errors (`FAQUrl.suggestTodo`).
pub(crate) fn faq(url: &str) -> String {
    format!("\nSee {url} for further details.")
}
pub(crate) const FAQ_SEND_MSG_FAILED: &str = "http://rocketmq.apache.org/docs/faq/";
pub(crate) const FAQ_NO_TOPIC_ROUTE_INFO: &str = "http://rocketmq.apache.org/docs/faq/";
pub(crate) const FAQ_CLIENT_SERVICE_NOT_OK: &str = "http://rocketmq.apache.org/docs/faq/";
pub(crate) const FAQ_GROUP_NAME_DUPLICATE: &str = "http://rocketmq.apache.org/docs/faq/";
pub(crate) const FAQ_NAME_SERVER_ADDR_NOT_EXIST: &str = "http://rocketmq.apache.org/docs/faq/";

#[derive(Debug, thiserror::Error, Clone)]
#[non_exhaustive]
pub enum ClientError {
    /// `MQClientException`: a client-side failure; `code` is a `ClientErrorCode`, a response code
    /// (e.g. MESSAGE_ILLEGAL for validation) or -1.
    #[error("CODE: {code}  DESC: {message}")]
    Client {
        code: i32,
        message: String,
        cause: Option<Box<ClientError>>,
    },
    /// `MQBrokerException`: the broker answered with an error code.
    #[error("CODE: {code}  DESC: {remark}  BROKER: {addr}")]
    Broker {
        code: i32,
        remark: String,
        addr: String,
    },
    /// `RemotingException` and subclasses (connect, timeout, send failed).
    #[error("{0}")]
    Remoting(#[from] RemotingError),
    /// `RemotingTooMuchRequestException`: the send's time budget was spent, or async back-pressure.
    #[error("{0}")]
    TooMuchRequest(String),
    /// A peer answered with bytes we could not decode.
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
}

impl ClientError {
    pub(crate) fn client(code: i32, message: impl Into<String>) -> Self {
        ClientError::Client {
            code,
            message: message.into(),
            cause: None,
        }
    }
    /// The Java code: ClientErrorCode, response code, or -1.
    pub fn code(&self) -> i32 {
        match self {
            ClientError::Client { code, .. } | ClientError::Broker { code, .. } => *code,
            ClientError::Remoting(e) if e.is_connect() => {
                client_error_code::CONNECT_BROKER_EXCEPTION
            }
            ClientError::Remoting(e) if e.is_timeout() => client_error_code::ACCESS_BROKER_TIMEOUT,
            _ => -1,
        }
    }
    /// The error that caused this one, when wrapped (Java `getCause`).
    pub fn cause(&self) -> Option<&ClientError> {
        match self {
            ClientError::Client { cause, .. } => cause.as_deref(),
            _ => None,
        }
    }
}
