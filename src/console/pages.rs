//! The console's HTML: server-rendered pages; the one script (the topic page's TPS chart) is
//! optional. Every value that came from the
//! cluster or the request goes through [`esc`] (text) or [`percent_encode`] (links).

use std::fmt::Write as _;

use super::api::{ClusterView, TopicView, TopicsView};
use super::form::{esc, percent_encode};
use super::groups::{GroupView, GroupsView, Member, ResetView};

const STYLE: &str = "body{font-family:sans-serif;margin:0 1.5em 2em}\
nav{padding:.6em 0;border-bottom:1px solid #ccc}nav a{margin-right:1.2em}\
.warn{background:#fff3cd;color:#664d03;padding:.3em .6em;margin:.5em 0}\
.err{background:#f8d7da;color:#842029;padding:.5em .8em;white-space:pre-wrap}\
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}\
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}\
form{margin:.8em 0}label{margin-right:.8em}.muted{color:#777}";

/// Where the page says who is signed in, or that authentication is off: filled in by the
/// server when it answers (an HTML comment: escaped text can never hold one).
pub const AUTH_SLOT: &str = "<!--auth-->";

/// The banner of a console without authentication.
pub const AUTH_OFF: &str = "<div class=\"warn\">console authentication is off: anyone who reaches this address can send messages, create and delete topics and reset offsets.</div>";

/// The page around `body`: the header with the links and [`AUTH_SLOT`].
pub fn layout(title: &str, namesrv: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t} - rocklet console</title>\
<style>{STYLE}</style></head><body><nav><b>rocklet console</b> &nbsp; <a href=\"/\">Cluster</a>\
<a href=\"/topics\">Topics</a><a href=\"/groups\">Consumer groups</a>\
<a href=\"/messages\">Messages</a><a href=\"/send\">Send</a><a href=\"/dlq\">Dead letters</a>\
<a href=\"/producers\">Producers</a>\
<span class=\"muted\">namesrv {ns}</span></nav>{AUTH_SLOT}<h1>{t}</h1>{body}</body></html>",
        t = esc(title),
        ns = esc(namesrv),
    )
}

pub fn error(status: u16, namesrv: &str, message: &str) -> String {
    layout(
        &format!("Error {status}"),
        namesrv,
        &format!("<div class=\"err\">{}</div>", esc(message)),
    )
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|v| esc(&v.to_string())).unwrap_or_default()
}

pub fn overview(v: &ClusterView) -> String {
    let mut b = String::new();
    if v.clusters.is_empty() {
        b.push_str("<p>No broker is registered with the name server.</p>");
    }
    for c in &v.clusters {
        let _ = write!(
            b,
            "<h2>Cluster {}</h2><table><tr><th>Broker</th><th>Id</th><th>Address</th>\
<th>Version</th><th>Put TPS</th><th>Get TPS</th><th>Commit-log disk ratio</th>\
<th>Put today</th><th>Got today</th><th></th></tr>",
            esc(&c.name)
        );
        for r in &c.brokers {
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&r.broker_name),
                r.broker_id,
                esc(&r.addr),
                opt(&r.version),
                opt(&r.put_tps),
                opt(&r.get_tps),
                opt(&r.commit_log_disk_ratio),
                opt(&r.msg_put_today),
                opt(&r.msg_get_today),
                r.error
                    .as_deref()
                    .map(|e| format!("<span class=\"err\">{}</span>", esc(e)))
                    .unwrap_or_default(),
            );
        }
        b.push_str("</table>");
    }
    layout("Cluster", &v.namesrv, &b)
}

pub fn topics(v: &TopicsView, namesrv: &str) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/topics\"><b>Create or update a topic</b><br>\
<label>Topic <input name=\"topic\" required></label>\
<label>Cluster <select name=\"cluster\">{}</select></label>\
<label>Read queues <input name=\"readQueueNums\" value=\"8\" size=\"3\"></label>\
<label>Write queues <input name=\"writeQueueNums\" value=\"8\" size=\"3\"></label>\
<label>Perm <input name=\"perm\" value=\"6\" size=\"2\"></label>\
<button>Save</button></form>",
        v.clusters
            .iter()
            .map(|c| format!("<option>{}</option>", esc(c)))
            .collect::<String>()
    );
    if v.all {
        b.push_str("<p><a href=\"/topics\">Hide system, retry and DLQ topics</a></p>");
    } else {
        let _ = write!(
            b,
            "<p class=\"muted\">{} system, retry and DLQ topics hidden. <a href=\"/topics?all=1\">Show all</a></p>",
            v.hidden
        );
    }
    b.push_str("<table><tr><th>Topic</th><th>Kind</th></tr>");
    for t in &v.topics {
        let _ = write!(
            b,
            "<tr><td><a href=\"/topic/{}\">{}</a></td><td>{}</td></tr>",
            percent_encode(&t.name),
            esc(&t.name),
            t.kind
        );
    }
    b.push_str("</table>");
    layout("Topics", namesrv, &b)
}

pub fn topic(v: &TopicView, namesrv: &str) -> String {
    let mut b = String::from(
        "<h2>Route</h2><table><tr><th>Broker</th><th>Cluster</th><th>Addresses</th>\
<th>Read queues</th><th>Write queues</th><th>Perm</th></tr>",
    );
    for r in &v.brokers {
        let addrs: Vec<String> = r
            .addrs
            .iter()
            .map(|(id, a)| format!("{id}: {}", esc(a)))
            .collect();
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{} ({})</td></tr>",
            esc(&r.broker_name),
            esc(&r.cluster),
            addrs.join("<br>"),
            r.read_queue_nums,
            r.write_queue_nums,
            r.perm_text,
            r.perm
        );
    }
    let _ = write!(
        b,
        "</table><h2>Queues</h2><p>{} messages stored.</p><table><tr><th>Broker</th><th>Queue</th>\
<th>Min offset</th><th>Max offset</th><th>Last update (UTC)</th></tr>",
        v.stored_messages
    );
    for q in &v.queues {
        let _ = write!(
            b,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&q.broker_name),
            q.queue_id,
            q.min_offset,
            q.max_offset,
            esc(&q.last_update)
        );
    }
    b.push_str("</table>");
    b.push_str(&super::pages_msg::tps_chart(&v.topic));
    let t = percent_encode(&v.topic);
    let _ = write!(
        b,
        "<p><a href=\"/messages?topic={t}\">Messages</a> &middot; <a href=\"/send?topic={t}\">Send a message</a></p>\
<form method=\"post\" action=\"/topic/{t}/delete\">\
<button>Delete this topic</button> <span class=\"muted\">from every master of its clusters and from the name servers</span></form>"
    );
    layout(&format!("Topic {}", v.topic), namesrv, &b)
}

pub fn groups(v: &GroupsView, namesrv: &str) -> String {
    let mut b = String::new();
    if v.all {
        b.push_str("<p><a href=\"/groups\">Hide system groups</a></p>");
    } else {
        let _ = write!(
            b,
            "<p class=\"muted\">{} system groups hidden. <a href=\"/groups?all=1\">Show all</a></p>",
            v.hidden
        );
    }
    b.push_str(
        "<table><tr><th>Group</th><th>State</th><th>Members</th><th>Lag</th><th>Consume TPS</th><th></th></tr>",
    );
    for g in &v.groups {
        let _ = write!(
            b,
            "<tr><td><a href=\"/group/{}\">{}</a></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2}</td><td>{}</td></tr>",
            percent_encode(&g.group),
            esc(&g.group),
            if g.online { "online" } else { "offline" },
            g.members,
            g.lag,
            g.consume_tps,
            opt(&g.error)
        );
    }
    b.push_str("</table>");
    layout("Consumer groups", namesrv, &b)
}

/// A table of connected clients (consumer group members, producers).
pub fn connections(b: &mut String, id: &str, rows: &[Member]) {
    let _ = write!(
        b,
        "<table id=\"{id}\"><tr><th>Client id</th><th>Address</th><th>Language</th><th>Version</th></tr>"
    );
    for m in rows {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&m.client_id),
            esc(&m.client_addr),
            esc(&m.language),
            esc(&m.version)
        );
    }
    b.push_str("</table>");
}

pub fn group(v: &GroupView, namesrv: &str) -> String {
    let mut b = format!(
        "<p>{} &middot; {} member(s) &middot; lag {} &middot; {:.2} TPS{}{}</p>",
        if v.online { "online" } else { "offline" },
        v.members.len(),
        v.lag,
        v.consume_tps,
        v.consume_type
            .as_deref()
            .map(|t| format!(" &middot; {}", esc(t)))
            .unwrap_or_default(),
        v.message_model
            .as_deref()
            .map(|t| format!(" &middot; {}", esc(t)))
            .unwrap_or_default(),
    );
    b.push_str("<h2>Members</h2>");
    connections(&mut b, "members", &v.members);
    b.push_str("<h2>Subscriptions</h2><table><tr><th>Topic</th><th>Expression</th></tr>");
    for (t, e) in &v.subscriptions {
        let _ = write!(b, "<tr><td>{}</td><td>{}</td></tr>", esc(t), esc(e));
    }
    b.push_str(
        "</table><h2>Lag per queue</h2><table><tr><th>Topic</th><th>Broker</th><th>Queue</th>\
<th>Broker offset</th><th>Consumer offset</th><th>Diff</th><th>Last consumed (UTC)</th></tr>",
    );
    for q in &v.queues {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&q.topic),
            esc(&q.broker_name),
            q.queue_id,
            q.broker_offset,
            q.consumer_offset,
            q.diff,
            esc(&q.last_time)
        );
    }
    let _ =
        write!(
        b,
        "</table><form method=\"post\" action=\"/group/{}/reset\"><b>Reset offsets by time</b><br>\
<label>Topic <input name=\"topic\" required value=\"{}\"></label>\
<label>Time <input name=\"time\" required placeholder=\"yyyy-MM-ddTHH:mm (UTC) or millis\"></label>\
<button>Reset</button></form>",
        percent_encode(&v.group),
        esc(v.subscriptions.keys().find(|t| !t.starts_with("%RETRY%")).map_or("", String::as_str))
    );
    group_config(&mut b, v);
    layout(&format!("Consumer group {}", v.group), namesrv, &b)
}

/// The group's `SubscriptionGroupConfig` on each master, and the form that updates it on all
/// of them (filled with the first master's values, or Java's defaults).
fn group_config(b: &mut String, v: &GroupView) {
    b.push_str(
        "<h2>Subscription group config</h2><table id=\"group-config\"><tr><th>Broker</th>\
<th>consumeEnable</th><th>consumeBroadcastEnable</th><th>retryQueueNums</th><th>retryMaxTimes</th>\
<th>brokerId</th><th>whichBrokerWhenConsumeSlowly</th></tr>",
    );
    for c in &v.configs {
        let k = &c.config;
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&c.broker_addr),
            k.consume_enable,
            k.consume_broadcast_enable,
            k.retry_queue_nums,
            k.retry_max_times,
            k.broker_id,
            k.which_broker_when_consume_slowly
        );
    }
    let d = v
        .configs
        .first()
        .map(|c| c.config.clone())
        .unwrap_or_default();
    let checked = |on: bool| if on { " checked" } else { "" };
    let _ = write!(
        b,
        "</table><form method=\"post\" action=\"/group/{}/config\"><b>Update on every master</b><br>\
<label><input type=\"checkbox\" name=\"consumeEnable\" value=\"true\"{}> consumeEnable</label>\
<label><input type=\"checkbox\" name=\"consumeBroadcastEnable\" value=\"true\"{}> consumeBroadcastEnable</label>\
<label>retryQueueNums <input name=\"retryQueueNums\" value=\"{}\"></label>\
<label>retryMaxTimes <input name=\"retryMaxTimes\" value=\"{}\"></label>\
<label>brokerId <input name=\"brokerId\" value=\"{}\"></label>\
<label>whichBrokerWhenConsumeSlowly <input name=\"whichBrokerWhenConsumeSlowly\" value=\"{}\"></label>\
<button id=\"group-config-submit\">Update</button></form>",
        percent_encode(&v.group),
        checked(d.consume_enable),
        checked(d.consume_broadcast_enable),
        d.retry_queue_nums,
        d.retry_max_times,
        d.broker_id,
        d.which_broker_when_consume_slowly
    );
}

pub fn reset(v: &ResetView, namesrv: &str) -> String {
    let mut b = format!(
        "<p>Offsets of <a href=\"/group/{}\">{}</a> on topic {} reset to time {} ({}).</p>\
<table><tr><th>Broker</th><th>Queue</th><th>Offset</th></tr>",
        percent_encode(&v.group),
        esc(&v.group),
        esc(&v.topic),
        v.timestamp,
        if v.mode == "broker" {
            "the brokers told the live members, who commit the new offsets"
        } else {
            "no member online: the console committed the offsets"
        }
    );
    for o in &v.offsets {
        let _ = write!(
            b,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&o.broker_name),
            o.queue_id,
            o.offset
        );
    }
    b.push_str("</table>");
    layout("Offsets reset", namesrv, &b)
}
