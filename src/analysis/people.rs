//! Who sent a mail: one identity per person, whatever the From header of
//! each mail says. Every count of people (thread participants, window
//! totals, `stats` senders) and every list of speakers goes through
//! [`identify`], so they all agree.
//!
//! Rules, over the mails considered together (a window, a thread):
//! - the address is the person: one address with several display names is
//!   one person, shown under its most frequent real-looking name;
//! - a display name that is itself an address (`"peterz@infradead.org"
//!   <peterz@infradead.org>`) is no name: the person takes the name the same
//!   address uses elsewhere, else is shown by the address;
//! - a From rewritten by a list for DMARC (mailman, mlmmj, Google Groups:
//!   `"Name via ListName" <list@address>`) is the person `Name`, at the
//!   address `X-Original-From` or `Reply-To` gives ([`original_sender`]),
//!   else at the address the same name uses in other mails, else known by
//!   the name alone — never the list's address;
//! - mails without an address are grouped by name, and join the address
//!   that name uses elsewhere.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use mail_parser::{Address, HeaderValue, MessageParser};
use regex::Regex;

/// The sender of one mail as its headers give it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sender {
    /// Decoded display name of From.
    pub name: String,
    /// Address of From.
    pub addr: String,
    /// The original sender a list named when it rewrote From
    /// (`X-Original-From`, else `Reply-To`), as (name, address).
    pub original: Option<(String, String)>,
}

impl Sender {
    pub fn new(name: &str, addr: &str) -> Sender {
        Sender {
            name: name.to_string(),
            addr: addr.to_string(),
            original: None,
        }
    }
}

/// The person behind a mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    /// Equal for the mails of one person, different otherwise.
    pub key: String,
    /// Name to show: the person's most frequent real-looking name, else
    /// the address.
    pub name: String,
    /// The person's address; empty when no mail gave it.
    pub email: String,
}

/// Collapse whitespace and strip the quotes some clients leave around a
/// display name.
fn clean_name(s: &str) -> String {
    let t = s
        .trim()
        .trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The address a display name spells, when it is one
/// (`peterz@infradead.org`, `<x@y>`, `'x@y'`).
pub fn name_as_address(name: &str) -> Option<String> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^<?([A-Za-z0-9._%+=~!#$&*/?^`{|}-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?$")
            .unwrap()
    });
    let t = clean_name(name);
    RE.captures(&t).map(|c| c[1].to_string())
}

/// `"Name via ListName"`: the display name a list writes when it replaces
/// the sender's address by its own (DMARC From rewrite). Returns the
/// person's name.
pub fn via_list(name: &str) -> Option<String> {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^(.*\S)\s+via\s+(\S.*)$").unwrap());
    let t = clean_name(name);
    let c = RE.captures(&t)?;
    let person = clean_name(&c[1]);
    // "via" must be followed by a list name, not be part of a sentence.
    let list = &c[2];
    if person.is_empty() || list.split_whitespace().count() > 4 {
        return None;
    }
    Some(person)
}

/// Original sender of a mail whose From a list rewrote: `X-Original-From`,
/// else `Reply-To` when it names a single person. Reads only the header
/// block of `raw`; `None` when neither is there or readable.
pub fn original_sender(raw: &[u8]) -> Option<(String, String)> {
    let msg = MessageParser::default().parse_headers(raw)?;
    let first = |v: &HeaderValue<'_>| -> Option<(String, String)> {
        let a = match v {
            HeaderValue::Address(Address::List(l)) if l.len() == 1 => l.first()?,
            HeaderValue::Address(_) => return None,
            HeaderValue::Text(t) => {
                // Not parsed as an address: take `<addr>` or a bare address.
                let t = t.trim();
                let (name, addr) = match t.rsplit_once('<') {
                    Some((n, r)) => (clean_name(n), r.trim_end_matches('>').trim()),
                    None => (String::new(), t),
                };
                return name_as_address(addr).map(|a| (name, a));
            }
            _ => return None,
        };
        let addr = a.address.as_deref()?.trim().to_string();
        let name = a.name.as_deref().map(clean_name).unwrap_or_default();
        (!addr.is_empty()).then_some((name, addr))
    };
    msg.header("X-Original-From")
        .and_then(first)
        .or_else(|| msg.header("Reply-To").and_then(first))
}

/// Whether a name looks like a person's name rather than a login
/// ("Marc Zyngier", "Marc", "张三" rather than "maz").
fn real_looking(name: &str) -> bool {
    name.contains(' ')
        || name.chars().any(|c| c.is_uppercase())
        || name.chars().any(|c| c.is_alphabetic() && !c.is_ascii())
}

/// Lower-cased name for matching.
fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Name and address of one sender after undoing list rewrites and
/// address-like names; `via` tells the From address was a list's.
pub fn normalize(s: &Sender) -> (String, String) {
    let mut name = clean_name(&s.name);
    let mut addr = s.addr.trim().to_string();
    if let Some(person) = via_list(&name) {
        name = person;
        let list_addr = addr.to_lowercase();
        addr = String::new();
        if let Some((oname, oaddr)) = &s.original {
            let o = oaddr.trim();
            if !o.is_empty() && o.to_lowercase() != list_addr {
                addr = o.to_string();
                if name_as_address(&name).is_some() && !oname.trim().is_empty() {
                    name = clean_name(oname);
                }
            }
        }
    }
    if let Some(a) = name_as_address(&name) {
        if addr.is_empty() {
            addr = a;
        }
        name = String::new();
    }
    (name, addr)
}

/// The person behind each sender, in input order (see the module rules).
/// Deterministic: the same senders in any order give the same identities.
pub fn identify(senders: &[Sender]) -> Vec<Identity> {
    let norm: Vec<(String, String)> = senders.iter().map(normalize).collect();

    // Addresses each name is used with, and how often.
    let mut addr_of_name: HashMap<String, BTreeMap<String, usize>> = HashMap::new();
    for (name, addr) in &norm {
        if !name.is_empty() && !addr.is_empty() {
            *addr_of_name
                .entry(name_key(name))
                .or_default()
                .entry(addr.to_lowercase())
                .or_default() += 1;
        }
    }
    // One person's several addresses: the same full name ("Marc Zyngier"
    // at arm.com and at kernel.org) joins them; a single word ("Marc")
    // does not.
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    fn root(parent: &BTreeMap<String, String>, a: &str) -> String {
        let mut cur = a.to_string();
        while let Some(p) = parent.get(&cur) {
            if *p == cur {
                break;
            }
            cur = p.clone();
        }
        cur
    }
    for (name, addrs) in &addr_of_name {
        if name.split_whitespace().count() < 2 {
            continue;
        }
        let mut it = addrs.keys();
        let Some(first) = it.next() else { continue };
        for other in it {
            let (a, b) = (root(&parent, first), root(&parent, other));
            if a != b {
                // The smaller text is the root: the same result in any order.
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                parent.insert(hi, lo);
            }
        }
    }
    // Each group is named by its most used address.
    let mut addr_count: BTreeMap<String, usize> = BTreeMap::new();
    for (_, addr) in &norm {
        if !addr.is_empty() {
            *addr_count.entry(addr.to_lowercase()).or_default() += 1;
        }
    }
    let mut group_best: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for (a, n) in &addr_count {
        let r = root(&parent, a);
        let e = group_best.entry(r).or_insert((0, a.clone()));
        if *n > e.0 || (*n == e.0 && *a < e.1) {
            *e = (*n, a.clone());
        }
    }
    let person_of_addr = |a: &str| -> String {
        let r = root(&parent, a);
        let best = group_best.get(&r).map_or(a, |(_, b)| b.as_str());
        format!("addr:{best}")
    };
    let keys: Vec<String> = norm
        .iter()
        .map(|(name, addr)| {
            if !addr.is_empty() {
                return person_of_addr(&addr.to_lowercase());
            }
            let nk = name_key(name);
            match addr_of_name.get(&nk).and_then(|m| {
                m.iter()
                    .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                    .map(|(a, _)| a.clone())
            }) {
                Some(a) => person_of_addr(&a),
                None => format!("name:{nk}"),
            }
        })
        .collect();

    // Per person: names with counts, the address as first written.
    let mut names: HashMap<&str, BTreeMap<&str, usize>> = HashMap::new();
    let mut emails: HashMap<&str, BTreeMap<&str, usize>> = HashMap::new();
    for (k, (name, addr)) in keys.iter().zip(&norm) {
        if !name.is_empty() {
            *names.entry(k).or_default().entry(name).or_default() += 1;
        }
        if !addr.is_empty() {
            *emails.entry(k).or_default().entry(addr).or_default() += 1;
        }
    }
    let best = |m: Option<&BTreeMap<&str, usize>>, rank: &dyn Fn(&str) -> bool| -> String {
        m.and_then(|m| {
            m.iter()
                // Real-looking first, then most used, then the fullest
                // ("Greg Kroah-Hartman" over "Greg KH"), then the smallest
                // text.
                .max_by(|a, b| {
                    (rank(a.0), a.1, a.0.chars().count())
                        .cmp(&(rank(b.0), b.1, b.0.chars().count()))
                        .then_with(|| b.0.cmp(a.0))
                })
                .map(|(n, _)| n.to_string())
        })
        .unwrap_or_default()
    };
    keys.iter()
        .zip(&norm)
        .zip(senders)
        .map(|((k, (name, _)), s)| {
            let email = best(emails.get(k.as_str()), &|_| true);
            let mut shown = best(names.get(k.as_str()), &real_looking);
            if shown.is_empty() {
                shown = if email.is_empty() {
                    // No name and no address: whatever the header said.
                    if name.is_empty() {
                        clean_name(&s.name)
                    } else {
                        name.clone()
                    }
                } else {
                    email.clone()
                };
            }
            Identity {
                key: k.clone(),
                name: shown,
                email,
            }
        })
        .collect()
}

/// Number of different people among `senders`.
pub fn count_people(senders: &[Sender]) -> usize {
    let ids = identify(senders);
    let keys: std::collections::BTreeSet<&str> = ids.iter().map(|i| i.key.as_str()).collect();
    keys.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[(&str, &str)]) -> Vec<Identity> {
        let s: Vec<Sender> = list.iter().map(|(n, a)| Sender::new(n, a)).collect();
        identify(&s)
    }

    #[test]
    fn one_address_with_two_names_is_one_person_under_the_frequent_name() {
        let i = ids(&[
            ("Marc Zyngier", "maz@kernel.org"),
            ("marc", "MAZ@kernel.org"),
            ("Marc Zyngier", "maz@kernel.org"),
        ]);
        assert!(i.iter().all(|x| x.key == i[0].key));
        assert!(i.iter().all(|x| x.name == "Marc Zyngier"), "{i:?}");
    }

    #[test]
    fn a_real_looking_name_wins_over_a_login() {
        let i = ids(&[
            ("peterz", "peterz@infradead.org"),
            ("peterz", "peterz@infradead.org"),
            ("Peter Zijlstra", "peterz@infradead.org"),
        ]);
        assert_eq!(i[0].name, "Peter Zijlstra");
    }

    #[test]
    fn an_address_used_as_name_takes_the_real_name() {
        let i = ids(&[
            ("peterz@infradead.org", "peterz@infradead.org"),
            ("Peter Zijlstra", "peterz@infradead.org"),
        ]);
        assert_eq!(i[0].key, i[1].key);
        assert_eq!(i[0].name, "Peter Zijlstra");
        // Alone, it is shown by the address.
        let i = ids(&[("'peterz@infradead.org'", "peterz@infradead.org")]);
        assert_eq!(i[0].name, "peterz@infradead.org");
        // An address as name without an address header.
        let i = ids(&[
            ("peterz@infradead.org", ""),
            ("Peter Z", "peterz@infradead.org"),
        ]);
        assert_eq!(i[0].key, i[1].key);
    }

    #[test]
    fn a_list_rewritten_from_is_the_person() {
        let list = "virtualization@lists.linux-foundation.org";
        // With X-Original-From / Reply-To.
        let mut via = Sender::new("Jason Wang via Virtualization", list);
        via.original = Some(("Jason Wang".into(), "jasowang@redhat.com".into()));
        let s = vec![
            via,
            Sender::new("Jason Wang", "jasowang@redhat.com"),
            Sender::new("Michael S. Tsirkin via Virtualization", list),
            Sender::new("Michael S. Tsirkin", "mst@redhat.com"),
            Sender::new("'Someone Else' via Virtualization", list),
        ];
        let i = identify(&s);
        assert_eq!(i[0].key, i[1].key);
        assert_eq!(i[0].name, "Jason Wang");
        assert_eq!(i[0].email, "jasowang@redhat.com");
        assert_eq!(i[2].key, i[3].key, "{i:?}");
        assert_eq!(i[2].email, "mst@redhat.com");
        assert_eq!(i[4].name, "Someone Else");
        assert_ne!(i[4].key, i[2].key);
        assert!(i.iter().all(|x| x.email != list));
        assert_eq!(count_people(&s), 3);
    }

    #[test]
    fn one_full_name_at_two_addresses_is_one_person() {
        let i = ids(&[
            ("Marc Zyngier", "marc.zyngier@arm.com"),
            ("Marc Zyngier", "maz@kernel.org"),
            ("Marc Zyngier", "maz@kernel.org"),
            ("Marc", "marc@example.org"),
            ("Marc", "other@example.org"),
        ]);
        assert_eq!(i[0].key, i[1].key);
        assert_eq!(i[0].email, "maz@kernel.org");
        assert_ne!(i[3].key, i[4].key, "one word is not enough");
        assert_ne!(i[0].key, i[3].key);
    }

    #[test]
    fn two_people_behind_one_list_address_stay_two() {
        let list = "kvmarm@lists.cs.columbia.edu";
        let s = vec![
            Sender::new("Ann via kvmarm", list),
            Sender::new("Bob via kvmarm", list),
        ];
        assert_eq!(count_people(&s), 2);
    }

    #[test]
    fn via_inside_a_sentence_is_not_a_rewrite() {
        assert_eq!(via_list("Ann via kvmarm").as_deref(), Some("Ann"));
        assert_eq!(via_list("\"Ann B\" via Foo Bar").as_deref(), Some("Ann B"));
        assert_eq!(via_list("Sent via my phone to you all now"), None);
        assert_eq!(via_list("Octavia"), None);
    }

    #[test]
    fn equally_used_names_give_the_fullest() {
        let i = ids(&[
            ("Greg KH", "gregkh@linuxfoundation.org"),
            ("Greg Kroah-Hartman", "gregkh@linuxfoundation.org"),
            ("", "gregkh@linuxfoundation.org"),
        ]);
        assert!(i.iter().all(|x| x.name == "Greg Kroah-Hartman"), "{i:?}");
        let i = ids(&[
            ("xieming", "x@k.cn"),
            ("xieming", "x@k.cn"),
            ("谢明", "x@k.cn"),
        ]);
        assert_eq!(i[0].name, "谢明");
    }

    #[test]
    fn identities_do_not_depend_on_input_order() {
        let a = [("Bob", "b@x.org"), ("Bob B", "b@x.org")];
        let b = [("Bob B", "b@x.org"), ("Bob", "b@x.org")];
        assert_eq!(ids(&a)[0].name, ids(&b)[0].name);
    }

    #[test]
    fn original_sender_reads_x_original_from_then_reply_to() {
        let raw = b"From: \"Ann via L\" <l@lists.org>\nReply-To: Ann B <ann@x.org>\nX-Original-From: Ann Bee <ann@y.org>\n\nbody";
        assert_eq!(
            original_sender(raw),
            Some(("Ann Bee".into(), "ann@y.org".into()))
        );
        let raw = b"From: \"Ann via L\" <l@lists.org>\nReply-To: Ann B <ann@x.org>\n\nbody";
        assert_eq!(
            original_sender(raw),
            Some(("Ann B".into(), "ann@x.org".into()))
        );
        assert_eq!(original_sender(b"From: a@b.org\n\nx"), None);
        assert_eq!(original_sender(b"\xff\xfe"), None);
    }

    #[test]
    fn no_name_no_address() {
        let i = ids(&[("", ""), ("", "")]);
        assert_eq!(i[0].key, i[1].key);
        assert_eq!(
            count_people(&[Sender::new("", ""), Sender::new("x", "")]),
            2
        );
    }
}
