//! The HTML of the message pages (send, search, one message, dead letters, producers, login)
//! and the topic page's TPS chart. As in [`super::pages`], everything from the cluster or the
//! request goes through [`esc`] or [`percent_encode`]; the only script is the chart's, and every
//! page works without it.

use std::fmt::Write as _;

use super::form::{esc, percent_encode, time_text};
use super::messages::{
    BodyFormat, MessageRow, MessageView, MessagesView, PER_QUEUE_CAP, TOTAL_CAP,
};
use super::pages::layout;
use super::stats::ProducersView;

fn value(v: Option<&str>) -> String {
    esc(v.unwrap_or(""))
}

/// The link to one message's page.
pub fn message_href(topic: &str, id: &str) -> String {
    format!(
        "/message?topic={}&amp;id={}",
        percent_encode(topic),
        percent_encode(id)
    )
}

pub fn send_form(topic: Option<&str>, namesrv: &str) -> String {
    let b = format!(
        "<form method=\"post\" action=\"/send\" id=\"send-form\">\
<p><label>Topic <input name=\"topic\" required value=\"{}\"></label>\
<label>Tag <input name=\"tag\"></label>\
<label>Keys <input name=\"keys\" placeholder=\"space separated\"></label></p>\
<p><label>Body<br><textarea name=\"body\" rows=\"8\" cols=\"80\" required></textarea></label></p>\
<button id=\"send-submit\">Send</button> <span class=\"muted\">through producer group \
rocklet_console_producer; the message page opens once it is stored</span></form>",
        value(topic)
    );
    layout("Send a message", namesrv, &b)
}

fn rows_table(b: &mut String, rows: &[MessageRow], dlq_group: Option<&str>) {
    b.push_str(
        "<table id=\"messages\"><tr><th>Message id</th><th>Tags</th><th>Keys</th><th>Queue</th>\
<th>Offset</th><th>Stored (UTC)</th><th>Size</th>",
    );
    b.push_str(if dlq_group.is_some() {
        "<th>Reconsumed</th><th></th></tr>"
    } else {
        "</tr>"
    });
    for m in rows {
        let _ = write!(
            b,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
<td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td>",
            message_href(&m.topic, &m.msg_id),
            esc(&m.msg_id),
            value(m.tags.as_deref()),
            value(m.keys.as_deref()),
            m.queue_id,
            m.queue_offset,
            esc(&m.store_time),
            m.body_size
        );
        if let Some(g) = dlq_group {
            let _ = write!(
                b,
                "<td class=\"n\">{}</td><td><form method=\"post\" action=\"/dlq/resend\" class=\"resend\">\
<input type=\"hidden\" name=\"group\" value=\"{}\"><input type=\"hidden\" name=\"id\" value=\"{}\">\
<button class=\"resend-submit\">Resend</button></form></td>",
                m.reconsume_times,
                esc(g),
                esc(&m.msg_id)
            );
        }
        b.push_str("</tr>");
    }
    b.push_str("</table>");
}

fn summary(b: &mut String, v: &MessagesView) {
    let _ = write!(b, "<p id=\"found\">{} message(s)", v.messages.len());
    if let (Some(begin), Some(end)) = (v.begin, v.end) {
        let _ = write!(
            b,
            " stored from {} to {} (UTC)",
            esc(&time_text(begin.max(1))),
            esc(&time_text(end))
        );
    }
    if let Some(k) = &v.key {
        let _ = write!(b, " with key {}", esc(k));
    }
    b.push_str(".</p>");
    if v.capped {
        let _ = write!(
            b,
            "<p class=\"warn\" id=\"capped\">Result capped: at most {PER_QUEUE_CAP} messages per queue \
({PER_QUEUE_CAP} for a key) and {TOTAL_CAP} in all; narrow the time range.</p>"
        );
    }
}

/// `v` is None before a search (the form alone).
pub fn messages(v: Option<&MessagesView>, q: &SearchForm, namesrv: &str) -> String {
    let mut b = format!(
        "<form method=\"get\" action=\"/messages\" id=\"search-form\">\
<label>Topic <input name=\"topic\" required value=\"{}\"></label>\
<label>Key <input name=\"key\" value=\"{}\"></label>\
<label>Begin <input name=\"begin\" value=\"{}\" placeholder=\"yyyy-MM-ddTHH:mm (UTC) or millis\"></label>\
<label>End <input name=\"end\" value=\"{}\" placeholder=\"now\"></label>\
<button id=\"search-submit\">Search</button> <span class=\"muted\">a key searches the index; \
otherwise the time range (all of it when left empty)</span></form>",
        value(q.topic),
        value(q.key),
        value(q.begin),
        value(q.end)
    );
    if let Some(v) = v {
        summary(&mut b, v);
        rows_table(&mut b, &v.messages, None);
    }
    layout("Messages", namesrv, &b)
}

/// The search form's fields as they came.
#[derive(Default)]
pub struct SearchForm<'a> {
    pub topic: Option<&'a str>,
    pub key: Option<&'a str>,
    pub begin: Option<&'a str>,
    pub end: Option<&'a str>,
}

pub fn message(v: &MessageView, namesrv: &str) -> String {
    let r = &v.row;
    let mut b = format!(
        "<p>Message id <code id=\"msg-id\">{}</code> &middot; offset id <code id=\"offset-msg-id\">{}</code></p>\
<table id=\"message\"><tr><th>Topic</th><td><a href=\"/topic/{}\">{}</a></td></tr>\
<tr><th>Tags</th><td>{}</td></tr><tr><th>Keys</th><td>{}</td></tr>\
<tr><th>Queue</th><td>{} &middot; offset {}</td></tr><tr><th>Stored</th><td>{} UTC at {}</td></tr>\
<tr><th>Born</th><td>{} UTC at {}</td></tr><tr><th>Reconsume times</th><td>{}</td></tr>\
<tr><th>Body</th><td>{} bytes, CRC {}, sysFlag {}</td></tr></table>",
        esc(&r.msg_id),
        esc(&r.offset_msg_id),
        percent_encode(&r.topic),
        esc(&r.topic),
        value(r.tags.as_deref()),
        value(r.keys.as_deref()),
        r.queue_id,
        r.queue_offset,
        esc(&r.store_time),
        esc(&r.store_host),
        esc(&v.born_time),
        esc(&v.born_host),
        r.reconsume_times,
        r.body_size,
        v.body_crc,
        v.sys_flag
    );
    b.push_str("<h2>Properties</h2><table id=\"properties\"><tr><th>Name</th><th>Value</th></tr>");
    for (k, val) in &v.properties {
        let _ = write!(b, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(val));
    }
    b.push_str("</table><h2>Body</h2><p id=\"formats\">");
    for (f, name) in [
        (BodyFormat::Text, "text"),
        (BodyFormat::Hex, "hex"),
        (BodyFormat::Json, "json"),
    ] {
        if f == v.format {
            let _ = write!(b, "<b>{name}</b> ");
        } else {
            let _ = write!(
                b,
                "<a href=\"{}&amp;format={name}\" id=\"format-{name}\">{name}</a> ",
                message_href(&r.topic, &r.msg_id)
            );
        }
    }
    b.push_str("</p>");
    if let Some(n) = &v.body_note {
        let _ = write!(b, "<p class=\"warn\" id=\"body-note\">{}</p>", esc(n));
    }
    let _ = write!(
        b,
        "<pre id=\"body\" style=\"background:#f7f7f7;padding:.6em;white-space:pre-wrap\">{}</pre>",
        esc(&v.body)
    );
    b.push_str(
        "<h2>Consumer groups</h2><table id=\"tracks\"><tr><th>Group</th><th>Track</th></tr>",
    );
    for t in &v.tracks {
        let _ = write!(
            b,
            "<tr><td><a href=\"/group/{}\">{}</a></td><td>{}</td></tr>",
            percent_encode(&t.consumer_group),
            esc(&t.consumer_group),
            t.track_type
        );
    }
    b.push_str("</table>");
    if let Some(e) = &v.track_error {
        let _ = write!(b, "<div class=\"err\">{}</div>", esc(e));
    }
    layout(&format!("Message {}", r.msg_id), namesrv, &b)
}

/// A notice after a re-send: (dead letter id, topic, new msgId).
pub type Resent<'a> = (&'a str, &'a str, &'a str);

pub fn dlq(
    v: Option<&MessagesView>,
    group: Option<&str>,
    q: &SearchForm,
    resent: Option<Resent>,
    namesrv: &str,
) -> String {
    let mut b = String::new();
    if let Some((old, topic, new)) = resent {
        let _ = write!(
            b,
            "<p class=\"warn\" id=\"notice\">Dead letter {} re-sent to topic <a href=\"/topic/{}\">{}</a> \
as message <a href=\"{}\">{}</a>.</p>",
            esc(old),
            percent_encode(topic),
            esc(topic),
            message_href(topic, new),
            esc(new)
        );
    }
    let _ = write!(
        b,
        "<form method=\"get\" action=\"/dlq\" id=\"dlq-form\">\
<label>Consumer group <input name=\"group\" required value=\"{}\"></label>\
<label>Begin <input name=\"begin\" value=\"{}\" placeholder=\"yyyy-MM-ddTHH:mm (UTC) or millis\"></label>\
<label>End <input name=\"end\" value=\"{}\" placeholder=\"now\"></label>\
<button id=\"dlq-submit\">Show</button></form>",
        value(group),
        value(q.begin),
        value(q.end)
    );
    if let (Some(v), Some(g)) = (v, group) {
        b.push_str(
            "<p class=\"muted\">Resend sends a dead letter again to the topic it came from \
(its RETRY_TOPIC property), with its body, tags, keys and user properties.</p>",
        );
        summary(&mut b, v);
        rows_table(&mut b, &v.messages, Some(g));
    }
    layout("Dead letters", namesrv, &b)
}

pub fn producers(
    v: Option<&ProducersView>,
    topic: Option<&str>,
    group: Option<&str>,
    namesrv: &str,
) -> String {
    let mut b = format!(
        "<form method=\"get\" action=\"/producers\" id=\"producers-form\">\
<label>Topic <input name=\"topic\" required value=\"{}\"></label>\
<label>Producer group <input name=\"group\" required value=\"{}\"></label>\
<button id=\"producers-submit\">Show</button></form>",
        value(topic),
        value(group)
    );
    if let Some(v) = v {
        let _ = write!(
            b,
            "<p>{} connection(s) of producer group {} (asked broker {}).</p>",
            v.connections.len(),
            esc(&v.group),
            esc(&v.broker_addr)
        );
        super::pages::connections(&mut b, "producers", &v.connections);
    }
    layout("Producers", namesrv, &b)
}

/// The login page; `failed` after a wrong user name or password.
pub fn login(failed: bool, namesrv: &str) -> String {
    let mut b = String::new();
    if failed {
        b.push_str("<div class=\"err\" id=\"login-error\">Wrong user name or password.</div>");
    }
    b.push_str(
        "<form method=\"post\" action=\"/login\" id=\"login-form\">\
<p><label>User <input name=\"username\" required autocomplete=\"username\"></label></p>\
<p><label>Password <input name=\"password\" type=\"password\" required autocomplete=\"current-password\"></label></p>\
<button id=\"login-submit\">Sign in</button></form>",
    );
    layout("Sign in", namesrv, &b)
}

/// The topic page's live chart: an SVG the script redraws every 2 s from
/// `/api/topic/{t}/tps` (the last 60 points); without scripts the section only links the API.
pub fn tps_chart(topic: &str) -> String {
    let url = format!("/api/topic/{}/tps", percent_encode(topic));
    format!(
        "<h2>TPS</h2><p>put <b id=\"tps-put\">-</b> &middot; get <b id=\"tps-get\">-</b> messages/s \
<span class=\"muted\">(the brokers' last-minute figures, every 2 s; \
<span style=\"color:#0d6efd\">put</span>, <span style=\"color:#198754\">get</span>)</span></p>\
<svg id=\"tps-chart\" width=\"600\" height=\"160\" viewBox=\"0 0 600 160\" role=\"img\" \
aria-label=\"put and get TPS\" style=\"border:1px solid #ddd\">\
<polyline id=\"tps-put-line\" fill=\"none\" stroke=\"#0d6efd\" stroke-width=\"2\" points=\"\"/>\
<polyline id=\"tps-get-line\" fill=\"none\" stroke=\"#198754\" stroke-width=\"2\" points=\"\"/>\
<text id=\"tps-max\" x=\"4\" y=\"12\" font-size=\"11\"></text></svg>\
<noscript><p>The chart needs scripts; the figures are at <a href=\"{url}\">{url}</a>.</p></noscript>\
<script>(function(){{var url=\"{url}\",pts=[],W=600,H=160;\
function el(i){{return document.getElementById(i)}}\
function line(k,max){{return pts.map(function(p,i){{return (i*W/59).toFixed(1)+\",\"+\
(H-4-p[k]/max*(H-20)).toFixed(1)}}).join(\" \")}}\
function draw(){{var max=1;pts.forEach(function(p){{max=Math.max(max,p.put,p.get)}});\
el(\"tps-put-line\").setAttribute(\"points\",line(\"put\",max));\
el(\"tps-get-line\").setAttribute(\"points\",line(\"get\",max));\
el(\"tps-max\").textContent=\"max \"+max.toFixed(1)}}\
function poll(){{fetch(url,{{credentials:\"same-origin\"}}).then(function(r){{return r.ok?r.json():null}})\
.then(function(v){{if(!v)return;pts.push({{put:v.putTps,get:v.getTps}});if(pts.length>60)pts.shift();\
el(\"tps-put\").textContent=v.putTps.toFixed(2);el(\"tps-get\").textContent=v.getTps.toFixed(2);draw()}})\
.catch(function(){{}})}}\
poll();setInterval(poll,2000)}})();</script>"
    )
}
