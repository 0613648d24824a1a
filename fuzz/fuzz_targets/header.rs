//! Every typed command header the broker and name server read from `extFields`. The first byte
//! chooses the header type; the rest is a remoting frame (decoded as the connection does), or,
//! when it is not one, `key=value` lines put into `extFields` directly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rocklet_fuzz::split_selector;
use rocklet_protocol::header::*;
use rocklet_protocol::{CommandHeader, ExtFields, RemotingCommand};

fn check<H: CommandHeader + PartialEq + std::fmt::Debug>(ext: &ExtFields) {
    if let Ok(h) = H::read(ext) {
        // A header that parses writes fields that parse back to the same header.
        let mut out = ExtFields::default();
        h.write(&mut out);
        let again = H::read(&out).expect("a written header must read back");
        assert_eq!(again, h);
    }
}

macro_rules! dispatch {
    ($sel:expr, $ext:expr, $($h:ty),* $(,)?) => {{
        let all: &[fn(&ExtFields)] = &[$(check::<$h>),*];
        all[$sel as usize % all.len()]($ext)
    }};
}

fuzz_target!(|data: &[u8]| {
    let Some((sel, rest)) = split_selector(data) else {
        return;
    };
    let ext = match RemotingCommand::decode_frame(rest) {
        Ok(cmd) => cmd.ext_fields,
        Err(_) => {
            let mut ext = ExtFields::default();
            for line in String::from_utf8_lossy(rest).split('\n') {
                let (k, v) = line.split_once('=').unwrap_or((line, ""));
                ext.insert(k, v);
            }
            ext
        }
    };
    dispatch!(
        sel,
        &ext,
        SendMessageRequestHeader,
        SendMessageRequestHeaderV2,
        SendMessageResponseHeader,
        PullMessageRequestHeader,
        PullMessageResponseHeader,
        GetRouteInfoRequestHeader,
        RegisterBrokerRequestHeader,
        RegisterBrokerResponseHeader,
        UnRegisterBrokerRequestHeader,
        QueueRequestHeader,
        OffsetResponseHeader,
        TimestampResponseHeader,
        SearchOffsetRequestHeader,
        ViewMessageRequestHeader,
        QueryMessageRequestHeader,
        QueryMessageResponseHeader,
        CreateTopicRequestHeader,
        QueryConsumerOffsetRequestHeader,
        UpdateConsumerOffsetRequestHeader,
        GetConsumerListByGroupRequestHeader,
        UnregisterClientRequestHeader,
        ConsumerSendMsgBackRequestHeader,
        EndTransactionRequestHeader,
        CheckTransactionStateRequestHeader,
        GetTopicsByClusterRequestHeader,
        QueryDataVersionRequestHeader,
        QueryDataVersionResponseHeader,
        BrokerNameRequestHeader,
        TopicRequestHeader,
        WipeWritePermOfBrokerResponseHeader,
        AddWritePermOfBrokerResponseHeader,
        NamespaceRequestHeader,
        PutKvConfigRequestHeader,
        KvConfigRequestHeader,
        GetKvConfigResponseHeader,
        DeleteSubscriptionGroupRequestHeader,
        ProducerGroupHeader,
        GetConsumeStatsRequestHeader,
        GetBrokerConfigResponseHeader,
        ResetOffsetRequestHeader,
        GetConsumerStatusRequestHeader,
        QueryConsumeTimeSpanRequestHeader,
        GetConsumerRunningInfoRequestHeader,
        ConsumeMessageDirectlyResultRequestHeader,
        CloneGroupOffsetRequestHeader,
        ViewBrokerStatsDataRequestHeader,
        GetConsumeStatsInBrokerHeader,
        QueryConsumeQueueRequestHeader,
        QueryCorrectionOffsetHeader,
        NotifyConsumerIdsChangedRequestHeader,
        ReplyMessageRequestHeader,
        ResumeCheckHalfMessageRequestHeader,
    );
});
