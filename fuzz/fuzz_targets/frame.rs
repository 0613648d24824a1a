//! Remoting frames as the connection reads them (`RemotingCommand::decode_from` on the socket
//! buffer, JSON and ROCKETMQ binary headers), and the slice decoder `decode`.
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rocklet_fuzz as _;
use rocklet_protocol::{Decoded, RemotingCommand};

fuzz_target!(|data: &[u8]| {
    // The connection's loop: take frames off the front until more bytes are needed or an error.
    let mut buf = BytesMut::from(data);
    let mut from_stream = Vec::new();
    while let Ok(Some(cmd)) = RemotingCommand::decode_from(&mut buf) {
        from_stream.push(cmd);
    }
    // The slice decoder must agree with the stream decoder frame by frame.
    let mut rest = data;
    let mut i = 0;
    while let Ok(Decoded::Frame(cmd, used)) = RemotingCommand::decode(rest) {
        assert!(used <= rest.len());
        assert_eq!(
            Some(&cmd),
            from_stream.get(i),
            "decode and decode_from disagree"
        );
        rest = &rest[used..];
        i += 1;
        // What decodes re-encodes to a frame that decodes to the same command.
        let again = RemotingCommand::decode_frame(&cmd.encode_to_bytes()[4..])
            .expect("a re-encoded command must decode");
        assert_eq!(again, cmd, "decode(encode(cmd)) != cmd");
    }
    assert_eq!(i, from_stream.len());
});
