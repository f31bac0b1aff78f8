//! Charts without scripts: pure functions from a report's numbers
//! ([`crate::volume`]) to inline SVG, which the report's
//! Content-Security-Policy allows (it is markup, not a script or an image
//! request). Colours come from CSS classes ([`CSS`], with a dark variant)
//! and text is `currentColor`, so both themes read well. Each chart is a
//! `<figure>` whose `<svg role="img">` has a `<title>` and a `<desc>`,
//! followed by its numbers as a table in `<details>`: the text
//! alternative. All text is escaped; the output depends on the numbers
//! alone (byte-identical reruns).
//!
//! The charts: the window's mails per day (per week for long windows)
//! stacked by [`MailRole`], the busiest threads (bars linking to their
//! sections) and the trend of messages and threads over twelve weeks.

use std::fmt::Write;
use unicode_width::UnicodeWidthChar;

use super::markup::{anchor, escape_html as escape};
use crate::digest::ThreadView;
use crate::lang::Lang;
use crate::volume::{Activity, MailRole, Period, TrendWeek};
use crate::window::Per;

/// Where the Markdown report wants the charts; the HTML replaces this
/// comment (a line of its own) with them. Mail text can never produce it:
/// every `<` of mail or model text is escaped in the Markdown.
pub const MARKER: &str = "<!-- lore-digest:charts -->";

/// Threads in the busiest-threads chart.
pub const BUSIEST: usize = 8;

/// The charts' styles, appended to the report's CSS.
pub const CSS: &str = r#"
:root { --c-patch: #2563c9; --c-review: #16864f; --c-reply: #c27c00; --c-other: #8250df; --c-bot: #8a8f98; }
@media (prefers-color-scheme: dark) {
  :root { --c-patch: #6ea8ff; --c-review: #4cc38a; --c-reply: #f2c14e; --c-other: #b89cff; --c-bot: #9aa3ad; }
}
figure.chart { margin: 1.2rem 0 1.6rem; }
figure.chart figcaption { font-weight: 600; margin-bottom: .3rem; }
svg.chart { display: block; width: 100%; max-width: 45rem; height: auto; font-size: 13px; }
svg.chart text { fill: currentColor; }
svg.chart .muted { fill: var(--muted); }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart .e { text-anchor: end; }
svg.chart .m { text-anchor: middle; }
svg.chart .k-patch { fill: var(--c-patch); }
svg.chart .k-review { fill: var(--c-review); }
svg.chart .k-reply { fill: var(--c-reply); }
svg.chart .k-other { fill: var(--c-other); }
svg.chart .k-bot { fill: var(--c-bot); }
svg.chart .busy { fill: var(--accent); }
svg.chart .t-msg { fill: var(--c-patch); }
svg.chart .t-thr { fill: var(--c-review); }
svg.chart .past { fill-opacity: .55; }
svg.chart a:hover rect { fill-opacity: .75; }
figure.chart details { font-size: .85rem; color: var(--muted); }
figure.chart td { text-align: right; }
figure.chart td.l { text-align: left; }
"#;

/// Chart width (SVG user units; the chart scales to the page).
const W: i64 = 720;

struct Words {
    per_day: &'static str,
    per_week: &'static str,
    busiest: &'static str,
    trend: &'static str,
    roles: [&'static str; 5],
    messages: &'static str,
    threads: &'static str,
    numbers: &'static str,
    day: &'static str,
    week: &'static str,
    thread: &'static str,
    total: &'static str,
    /// `{n}` mails in `{p}` periods, most `{max}` on `{at}`.
    per_desc: &'static str,
    /// The busiest `{n}` threads; the first has `{max}` mails.
    busiest_desc: &'static str,
    /// `{first}`..`{last}`: `{msgs}` messages, `{threads}` threads in the
    /// last week.
    trend_desc: &'static str,
}

const ZH: Words = Words {
    per_day: "每日邮件（按类型）",
    per_week: "每周邮件（按类型）",
    busiest: "最活跃的讨论",
    trend: "12 周趋势：邮件与讨论",
    roles: ["补丁", "评审", "回复", "其他", "机器人"],
    messages: "邮件",
    threads: "讨论",
    numbers: "数据",
    day: "日期",
    week: "周",
    thread: "讨论",
    total: "合计",
    per_desc: "{p} 个时段共 {n} 封邮件，最多的是 {at}（{max} 封）。",
    busiest_desc: "窗口内邮件最多的 {n} 个讨论，第一个有 {max} 封。",
    trend_desc: "{first} 至 {last} 每周的邮件数与讨论数；最后一周 {msgs} 封邮件、{threads} 个讨论。",
};

const EN: Words = Words {
    per_day: "Mails per day by kind",
    per_week: "Mails per week by kind",
    busiest: "Busiest threads",
    trend: "12-week trend: messages and threads",
    roles: ["Patch", "Review", "Reply", "Other", "Bot"],
    messages: "Messages",
    threads: "Threads",
    numbers: "Numbers",
    day: "Day",
    week: "Week",
    thread: "Thread",
    total: "Total",
    per_desc: "{n} mails in {p} periods; the most, {max}, on {at}.",
    busiest_desc: "The {n} threads with the most mails in the window; the first has {max}.",
    trend_desc: "Messages and threads per week from {first} to {last}; the last week had {msgs} messages in {threads} threads.",
};

fn words(lang: Lang) -> &'static Words {
    if lang == Lang::Zh { &ZH } else { &EN }
}

fn role_index(r: MailRole) -> usize {
    MailRole::ALL.iter().position(|x| *x == r).unwrap_or(0)
}

/// Tenths of a unit as SVG number text: `123`, `12.5`.
fn n(tenths: i64) -> String {
    if tenths % 10 == 0 {
        (tenths / 10).to_string()
    } else {
        format!("{}.{}", tenths / 10, (tenths % 10).abs())
    }
}

/// Round `v * num / den` to the nearest integer (non-negative values).
fn scale(v: i64, num: i64, den: i64) -> i64 {
    if den == 0 {
        0
    } else {
        (v * num + den / 2) / den
    }
}

/// The top of an axis holding `max`, and its grid step: 1, 2 or 5 times a
/// power of ten, at most five steps.
fn axis(max: usize) -> (i64, i64) {
    let max = max.max(1) as i64;
    let mut p = 1;
    loop {
        for m in [1, 2, 5] {
            let step = m * p;
            if max <= step * 5 {
                let top = (max + step - 1) / step * step;
                return (top, step);
            }
        }
        p *= 10;
    }
}

/// Cut `s` to about `width` half-width characters (a wide character counts
/// two), with "…".
fn truncate(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let chars: Vec<char> = s.chars().filter(|c| !c.is_control()).collect();
    let total: usize = chars.iter().map(|c| char_width(*c)).sum();
    if total <= width {
        return chars.into_iter().collect();
    }
    for c in chars {
        let w = char_width(c);
        if used + w > width.saturating_sub(1) {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Columns of `c` (a wide character two, a combining mark none).
fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `<svg …>` with its title and description, ids made from `id`.
fn svg_open(o: &mut String, id: &str, height: i64, title: &str, desc: &str) {
    let _ = write!(
        o,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\">\
<title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        escape(title),
        escape(desc)
    );
}

/// Horizontal grid lines and their values over `[top, bottom]` (tenths).
fn grid(o: &mut String, left: i64, right: i64, top: i64, bottom: i64, (max, step): (i64, i64)) {
    let mut v = 0;
    while v <= max {
        let y = bottom - scale(v, bottom - top, max);
        let _ = write!(
            o,
            "<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"muted e\" x=\"{}\" y=\"{}\">{v}</text>",
            n(left),
            n(y),
            n(right),
            n(y),
            n(left - 60),
            n(y + 40),
        );
        v += step;
    }
}

/// The label of a period on the x axis: `03-07` for a day, `W10` for a week.
fn short_period(p: &str) -> &str {
    match p.split_once("-W") {
        Some((_, w)) => p.get(p.len() - w.len() - 1..).unwrap_or(w),
        None => p.get(5..).unwrap_or(p),
    }
}

/// Geometry of the per-period chart (tenths of a unit).
const P_LEFT: i64 = 420;
const P_RIGHT: i64 = 7100;
const P_TOP: i64 = 500;
const P_BOTTOM: i64 = 2300;
const P_HEIGHT: i64 = 2700;

/// The window's mails per period stacked by role, with a legend, as
/// `<figure>` (SVG and table). `per` is `day` or `week`. Empty when no mail.
pub fn per_period(per: Per, periods: &[Period], lang: Lang) -> String {
    let w = words(lang);
    let total: usize = periods.iter().map(|p| p.messages).sum();
    if periods.is_empty() || total == 0 {
        return String::new();
    }
    let title = if per == Per::Week {
        w.per_week
    } else {
        w.per_day
    };
    let busiest = periods.iter().fold(
        &periods[0],
        |a, b| if b.messages > a.messages { b } else { a },
    );
    let desc = w
        .per_desc
        .replace("{n}", &total.to_string())
        .replace("{p}", &periods.len().to_string())
        .replace("{max}", &busiest.messages.to_string())
        .replace("{at}", &busiest.period);
    let present: Vec<MailRole> = MailRole::ALL
        .into_iter()
        .filter(|r| periods.iter().any(|p| p.count(*r) > 0))
        .collect();
    let mut o = format!(
        "<figure class=\"chart\">\n<figcaption>{}</figcaption>\n",
        escape(title)
    );
    svg_open(&mut o, "chart-periods", P_HEIGHT / 10, title, &desc);
    // Legend.
    let mut x = P_LEFT;
    for r in &present {
        let label = w.roles[role_index(*r)];
        let _ = write!(
            o,
            "<rect class=\"k-{}\" x=\"{}\" y=\"10\" width=\"12\" height=\"12\"/><text x=\"{}\" y=\"21\">{}</text>",
            r.as_str(),
            n(x),
            n(x + 170),
            escape(label)
        );
        x += 170 + 130 * label.chars().map(char_width).sum::<usize>() as i64 / 2 + 200;
    }
    let ax = axis(periods.iter().map(|p| p.messages).max().unwrap_or(0));
    grid(&mut o, P_LEFT, P_RIGHT, P_TOP, P_BOTTOM, ax);
    let count = periods.len() as i64;
    let band = (P_RIGHT - P_LEFT) / count;
    // Never wider than 60 units: one day is a bar, not a wall.
    let bar = (band * 7 / 10).clamp(10, 600);
    let mut year = "";
    let every = (count as usize).div_ceil(16).max(1);
    for (i, p) in periods.iter().enumerate() {
        let x = P_LEFT + i as i64 * band + (band - bar) / 2;
        let mut cum = 0i64;
        let mut y_prev = P_BOTTOM;
        for r in &present {
            let c = p.count(*r) as i64;
            if c == 0 {
                continue;
            }
            cum += c;
            let y = P_BOTTOM - scale(cum, P_BOTTOM - P_TOP, ax.0);
            let _ = write!(
                o,
                "<rect class=\"k-{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{} · {} {c}</title></rect>",
                r.as_str(),
                n(x),
                n(y),
                n(bar),
                n(y_prev - y),
                escape(&p.period),
                escape(w.roles[role_index(*r)]),
            );
            y_prev = y;
        }
        let mid = x + bar / 2;
        if p.messages > 0 && count <= 31 {
            let _ = write!(
                o,
                "<text class=\"m\" x=\"{}\" y=\"{}\">{}</text>",
                n(mid),
                n(y_prev - 40),
                p.messages
            );
        }
        if i % every == 0 {
            let _ = write!(
                o,
                "<text class=\"muted m\" x=\"{}\" y=\"{}\">{}</text>",
                n(mid),
                n(P_BOTTOM + 170),
                escape(short_period(&p.period))
            );
            // Weeks: the year under the first week of each year shown.
            let y = p.period.get(..4).unwrap_or_default();
            if per == Per::Week && y != year {
                let _ = write!(
                    o,
                    "<text class=\"muted m\" x=\"{}\" y=\"{}\">{}</text>",
                    n(mid),
                    n(P_BOTTOM + 320),
                    escape(y)
                );
                year = y;
            }
        }
    }
    o.push_str("</svg>\n");
    // The text alternative.
    let _ = write!(
        o,
        "<details><summary>{}</summary>\n<table>\n<thead><tr><th>{}</th>",
        escape(w.numbers),
        escape(if per == Per::Week { w.week } else { w.day })
    );
    for r in MailRole::ALL {
        let _ = write!(o, "<th>{}</th>", escape(w.roles[role_index(r)]));
    }
    let _ = writeln!(o, "<th>{}</th></tr></thead>\n<tbody>", escape(w.total));
    for p in periods {
        let _ = write!(o, "<tr><td class=\"l\">{}</td>", escape(&p.period));
        for r in MailRole::ALL {
            let _ = write!(o, "<td>{}</td>", p.count(r));
        }
        let _ = writeln!(o, "<td>{}</td></tr>", p.messages);
    }
    o.push_str("</tbody>\n</table>\n</details>\n</figure>\n");
    o
}

/// A bar of the busiest-threads chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    /// The thread's number in the report (its section is `#t-N`).
    pub number: usize,
    pub subject: String,
    /// Mails in the window.
    pub messages: usize,
}

/// The busiest threads: those with the most window mails (at most
/// [`BUSIEST`], report order among equals).
pub fn busiest_threads(threads: &[ThreadView]) -> Vec<Busy> {
    let mut v: Vec<Busy> = threads
        .iter()
        .enumerate()
        .filter(|(_, t)| t.window_messages > 0)
        .map(|(i, t)| Busy {
            number: i + 1,
            subject: t.subject.clone(),
            messages: t.window_messages,
        })
        .collect();
    v.sort_by_key(|b| (std::cmp::Reverse(b.messages), b.number));
    v.truncate(BUSIEST);
    v
}

const B_ROW: i64 = 300;
/// Width of a thread's label, in half-width characters (then "…").
const B_LABEL: usize = 46;
const B_BAR_LEFT: i64 = 3900;
const B_BAR_MAX: i64 = 2800;

/// Horizontal bars of the busiest threads (from [`busiest_threads`]), each
/// linking to its section (`#t-N`, see [`anchor`]). Empty
/// without threads.
pub fn busiest(top: &[Busy], lang: Lang) -> String {
    let w = words(lang);
    let Some(max) = top.iter().map(|b| b.messages).max() else {
        return String::new();
    };
    let desc = w
        .busiest_desc
        .replace("{n}", &top.len().to_string())
        .replace("{max}", &max.to_string());
    let height = (top.len() as i64 * B_ROW + 100) / 10;
    let mut o = format!(
        "<figure class=\"chart\">\n<figcaption>{}</figcaption>\n",
        escape(w.busiest)
    );
    svg_open(&mut o, "chart-busiest", height, w.busiest, &desc);
    for (row, b) in top.iter().enumerate() {
        let y = row as i64 * B_ROW + 50;
        let len = scale(b.messages as i64, B_BAR_MAX, max as i64).max(10);
        let _ = write!(
            o,
            "<a href=\"#{}\"><title>{}</title><text x=\"0\" y=\"{}\">{}. {}</text><rect class=\"busy\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\"/><text x=\"{}\" y=\"{}\">{}</text></a>",
            anchor(b.number),
            escape(&b.subject),
            n(y + 150),
            b.number,
            escape(&truncate(&b.subject, B_LABEL)),
            n(B_BAR_LEFT),
            n(y + 10),
            n(len),
            n(B_BAR_LEFT + len + 60),
            n(y + 150),
            b.messages
        );
    }
    o.push_str("</svg>\n");
    let _ = writeln!(
        o,
        "<details><summary>{}</summary>\n<table>\n<thead><tr><th>#</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        escape(w.numbers),
        escape(w.thread),
        escape(w.messages)
    );
    for b in top {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"l\"><a href=\"#{}\">{}</a></td><td>{}</td></tr>",
            b.number,
            anchor(b.number),
            escape(&b.subject),
            b.messages
        );
    }
    o.push_str("</tbody>\n</table>\n</details>\n</figure>\n");
    o
}

/// One number of a week.
type Value = fn(&TrendWeek) -> usize;

const T_LEFT: i64 = 420;
const T_RIGHT: i64 = 7100;
/// Panels: messages, then threads (top, bottom), tenths.
const T_PANELS: [(i64, i64); 2] = [(350, 1150), (1500, 2300)];
const T_HEIGHT: i64 = 2550;

/// Messages and threads per week, two panels of bars sharing the weeks;
/// the last week (the window's) in full colour. Empty without weeks.
pub fn trend(weeks: &[TrendWeek], lang: Lang) -> String {
    let w = words(lang);
    let (Some(first), Some(last)) = (weeks.first(), weeks.last()) else {
        return String::new();
    };
    let desc = w
        .trend_desc
        .replace("{first}", &first.week)
        .replace("{last}", &last.week)
        .replace("{msgs}", &last.messages.to_string())
        .replace("{threads}", &last.threads.to_string());
    let mut o = format!(
        "<figure class=\"chart\">\n<figcaption>{}</figcaption>\n",
        escape(w.trend)
    );
    svg_open(&mut o, "chart-trend", T_HEIGHT / 10, w.trend, &desc);
    let count = weeks.len() as i64;
    let band = (T_RIGHT - T_LEFT) / count;
    let bar = band * 6 / 10;
    let series: [(&str, &str, Value); 2] = [
        (w.messages, "t-msg", |t| t.messages),
        (w.threads, "t-thr", |t| t.threads),
    ];
    for ((label, class, value), (top, bottom)) in series.into_iter().zip(T_PANELS) {
        let ax = axis(weeks.iter().map(value).max().unwrap_or(0));
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            n(T_LEFT),
            n(top - 110),
            escape(label)
        );
        grid(&mut o, T_LEFT, T_RIGHT, top, bottom, ax);
        for (i, wk) in weeks.iter().enumerate() {
            let v = value(wk) as i64;
            let x = T_LEFT + i as i64 * band + (band - bar) / 2;
            let h = scale(v, bottom - top, ax.0);
            let past = if i + 1 < weeks.len() { " past" } else { "" };
            let _ = write!(
                o,
                "<rect class=\"{class}{past}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/><text class=\"m\" x=\"{}\" y=\"{}\">{v}</text>",
                n(x),
                n(bottom - h),
                n(bar),
                n(h),
                n(x + bar / 2),
                n(bottom - h - 40),
            );
        }
    }
    for (i, wk) in weeks.iter().enumerate() {
        let x = T_LEFT + i as i64 * band + band / 2;
        let _ = write!(
            o,
            "<text class=\"muted m\" x=\"{}\" y=\"{}\">{}</text>",
            n(x),
            n(T_PANELS[1].1 + 170),
            escape(short_period(&wk.week))
        );
    }
    o.push_str("</svg>\n");
    let _ = writeln!(
        o,
        "<details><summary>{}</summary>\n<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        escape(w.numbers),
        escape(w.week),
        escape(w.messages),
        escape(w.threads)
    );
    for wk in weeks {
        let _ = writeln!(
            o,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&wk.week),
            wk.messages,
            wk.threads
        );
    }
    o.push_str("</tbody>\n</table>\n</details>\n</figure>\n");
    o
}

/// Every chart of a report, in a `<section class="charts">`; empty when
/// the window has no mail.
pub fn render(activity: &Activity, threads: &[ThreadView], lang: Lang) -> String {
    if activity.is_empty() {
        return String::new();
    }
    let mut o = String::from("<section class=\"charts\">\n");
    o.push_str(&per_period(activity.per, &activity.periods, lang));
    o.push_str(&busiest(&busiest_threads(threads), lang));
    o.push_str(&trend(&activity.trend, lang));
    o.push_str("</section>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_cut_by_display_width_wide_characters_counting_two() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abcdefg", 6), "abcde…");
        assert_eq!(truncate("中文中文", 8), "中文中文");
        assert_eq!(truncate("中文中文中", 8), "中文中…");
    }

    /// Our figure parsed as XML by a real parser (every tag closed in
    /// order, attributes quoted, no `<` or bare `&` in text), or a panic
    /// naming the parser's error and the figure.
    fn assert_well_formed(xml: &str) {
        if let Err(e) = roxmltree::Document::parse(xml) {
            panic!("not well-formed XML: {e} in {xml}");
        }
    }

    fn svg_of(figure: &str) -> &str {
        let a = figure.find("<svg").unwrap();
        let b = figure.find("</svg>").unwrap() + "</svg>".len();
        &figure[a..b]
    }

    /// (class, y, height) of every `<rect>`, in tenths.
    fn rects(svg: &str) -> Vec<(String, i64, i64)> {
        let attr = |t: &str, k: &str| -> String {
            let s = t.find(&format!(" {k}=\"")).unwrap() + k.len() + 3;
            t[s..s + t[s..].find('"').unwrap()].to_string()
        };
        let tenths = |v: String| -> i64 {
            let (a, b) = v.split_once('.').unwrap_or((&v, "0"));
            a.parse::<i64>().unwrap() * 10 + b.parse::<i64>().unwrap()
        };
        svg.split("<rect")
            .skip(1)
            .map(|t| {
                let t = &t[..t.find('>').unwrap()];
                (
                    attr(t, "class"),
                    tenths(attr(t, "y")),
                    tenths(attr(t, "height")),
                )
            })
            .collect()
    }

    fn day(d: &str, patch: usize, review: usize, reply: usize, other: usize, bot: usize) -> Period {
        Period {
            period: d.into(),
            messages: patch + review + reply + other + bot,
            patch,
            review,
            reply,
            other,
            bot,
        }
    }

    fn week_days() -> Vec<Period> {
        vec![
            day("2022-03-07", 9, 4, 17, 1, 2),
            day("2022-03-08", 3, 0, 5, 0, 0),
            day("2022-03-09", 0, 0, 0, 0, 0),
            day("2022-03-10", 1, 7, 23, 3, 1),
            day("2022-03-11", 0, 2, 1, 0, 0),
            day("2022-03-12", 0, 0, 0, 0, 0),
            day("2022-03-13", 0, 0, 1, 0, 0),
        ]
    }

    #[test]
    fn stacked_bars_are_well_formed_and_sum_to_each_days_total() {
        let days = week_days();
        let fig = per_period(Per::Day, &days, crate::lang::Lang::En);
        assert_well_formed(&fig);
        let svg = svg_of(&fig);
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"chart-periods-t\">Mails per day by kind</title>"));
        assert!(
            svg.contains(
                "<desc id=\"chart-periods-d\">80 mails in 7 periods; the most, 35, on 2022-03-10.</desc>"
            ),
            "{svg}"
        );
        // The bars (not the legend's squares): one rect per non-zero count.
        let bars: Vec<(String, i64, i64)> = rects(svg).into_iter().filter(|r| r.2 != 120).collect();
        let nonzero: usize = days
            .iter()
            .map(|d| MailRole::ALL.iter().filter(|r| d.count(**r) > 0).count())
            .sum();
        assert_eq!(bars.len(), nonzero);
        // Each day's segments stack without gaps from the baseline, and the
        // stack is as tall as the day's total on the axis (top 40 for 35).
        let (top, _) = axis(35);
        assert_eq!(top, 40);
        let mut it = bars.iter();
        for d in &days {
            let mut y = P_BOTTOM;
            let mut height = 0;
            for r in MailRole::ALL.iter().filter(|r| d.count(**r) > 0) {
                let (class, ry, rh) = it.next().unwrap();
                assert_eq!(class, &format!("k-{}", r.as_str()));
                assert_eq!(
                    ry + rh,
                    y,
                    "{} {class} starts where the last ended",
                    d.period
                );
                y = *ry;
                height += rh;
            }
            assert_eq!(
                height,
                scale(d.messages as i64, P_BOTTOM - P_TOP, top),
                "{}",
                d.period
            );
        }
        // The table has every number.
        assert!(fig.contains("<tr><td class=\"l\">2022-03-10</td><td>1</td><td>7</td><td>23</td><td>3</td><td>1</td><td>35</td></tr>"), "{fig}");
        // The legend names only the kinds that occur... all five here.
        for r in ["Patch", "Review", "Reply", "Other", "Bot"] {
            assert!(svg.contains(&format!(">{r}</text>")), "{r}");
        }
        // Deterministic.
        assert_eq!(per_period(Per::Day, &days, crate::lang::Lang::En), fig);
    }

    #[test]
    fn no_mail_no_chart() {
        let empty: Vec<Period> = week_days()
            .into_iter()
            .map(|p| Period {
                period: p.period,
                ..Period::default()
            })
            .collect();
        assert_eq!(per_period(Per::Day, &empty, crate::lang::Lang::En), "");
        assert_eq!(busiest(&[], crate::lang::Lang::En), "");
        assert_eq!(trend(&[], crate::lang::Lang::En), "");
        assert!(
            render(&Activity::default(), &[], crate::lang::Lang::Zh).is_empty(),
            "nothing for an empty window"
        );
    }

    #[test]
    fn thread_subjects_are_escaped_cut_and_linked() {
        let nasty = "[PATCH] <script>alert(1)</script> & \"quotes\" 'too' </svg><svg onload=x>";
        let long = "KVM: arm64: ".repeat(10);
        let top = vec![
            Busy {
                number: 3,
                subject: nasty.into(),
                messages: 12,
            },
            Busy {
                number: 1,
                subject: long.clone(),
                messages: 5,
            },
        ];
        let fig = busiest(&top, crate::lang::Lang::En);
        assert_well_formed(&fig);
        assert!(!fig.contains("<script"), "{fig}");
        assert_eq!(fig.matches("<svg").count(), 1, "{fig}");
        assert!(fig.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;too&#39; &lt;/svg&gt;&lt;svg onload=x&gt;"));
        assert!(fig.contains("<a href=\"#t-3\"><title>"));
        assert!(fig.contains("<a href=\"#t-1\"><title>"));
        // The label is cut, the tooltip and the table keep the whole subject.
        let label = format!("1. {}", truncate(&long, B_LABEL));
        assert!(label.ends_with('…') && label.chars().count() < 60);
        assert!(fig.contains(&format!(">{label}</text>")));
        assert!(fig.contains(&format!("<title>{long}</title>")));
        // The longest bar is the first thread's, the other in proportion.
        let bars = rects(svg_of(&fig));
        let widths: Vec<&str> = svg_of(&fig)
            .split("width=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect();
        assert_eq!(bars.len(), 2);
        assert_eq!(widths, ["280", "116.7"]);
    }

    #[test]
    fn wide_characters_count_double_when_cut() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdefgh", 5), "abcd…");
        assert_eq!(truncate("内存管理补丁系列", 8), "内存管…");
        assert_eq!(truncate("a\u{7}b", 5), "ab");
    }

    #[test]
    fn trend_has_two_panels_of_twelve_weeks_and_the_last_is_highlighted() {
        let weeks: Vec<TrendWeek> = (0..12)
            .map(|i| TrendWeek {
                week: format!("2022-W{:02}", i + 1),
                messages: 100 + i * 20,
                threads: 10 + i,
            })
            .collect();
        let fig = trend(&weeks, crate::lang::Lang::Zh);
        assert_well_formed(&fig);
        let svg = svg_of(&fig);
        let bars = rects(svg);
        assert_eq!(bars.len(), 24);
        assert_eq!(bars.iter().filter(|b| b.0.ends_with(" past")).count(), 22);
        assert_eq!(bars[11].0, "t-msg");
        assert_eq!(bars[23].0, "t-thr");
        // Messages 320 on an axis to 400: 80 % of the panel.
        let (top, bottom) = T_PANELS[0];
        assert_eq!(bars[11].2, (bottom - top) * 320 / 400);
        assert!(svg.contains(">W12</text>") && svg.contains(">W01</text>"));
        assert!(fig.contains("<tr><td class=\"l\">2022-W12</td><td>320</td><td>21</td></tr>"));
        assert!(svg.contains("最后一周 320 封邮件、21 个讨论"));
    }

    #[test]
    fn text_is_anchored_by_classes_the_style_sheet_defines() {
        let weeks: Vec<TrendWeek> = (0..12)
            .map(|i| TrendWeek {
                week: format!("2022-W{:02}", i + 1),
                messages: 100 + i * 20,
                threads: 10 + i,
            })
            .collect();
        let figs = [
            trend(&weeks, crate::lang::Lang::En),
            per_period(Per::Day, &week_days(), crate::lang::Lang::En),
        ];
        for fig in &figs {
            let svg = svg_of(fig);
            assert!(!svg.contains("text-anchor="), "{svg}");
            assert!(svg.contains("<text class=\"m\" "), "{svg}");
            assert!(svg.contains("<text class=\"muted e\" "), "{svg}");
        }
        assert!(CSS.contains("svg.chart .e { text-anchor: end; }"));
        assert!(CSS.contains("svg.chart .m { text-anchor: middle; }"));
        // Trend bars print their value: no tooltip repeats it.
        let svg = svg_of(&figs[0]);
        assert!(!svg.contains("</title></rect>"), "{svg}");
        assert!(svg.contains(">320</text>"), "{svg}");
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(3), (3, 1));
        assert_eq!(axis(7), (8, 2));
        assert_eq!(axis(33), (40, 10));
        assert_eq!(axis(157), (200, 50));
        assert_eq!(axis(1234), (1500, 500));
    }

    #[test]
    fn weeks_name_their_year_once_and_one_day_is_not_a_wall() {
        let weeks: Vec<Period> = ["2021-W51", "2021-W52", "2022-W01", "2022-W02"]
            .iter()
            .map(|w| day(w, 1, 0, 2, 0, 0))
            .collect();
        let fig = per_period(Per::Week, &weeks, crate::lang::Lang::En);
        assert_well_formed(&fig);
        assert!(fig.contains("<title id=\"chart-periods-t\">Mails per week by kind</title>"));
        assert_eq!(fig.matches(">2021</text>").count(), 1, "{fig}");
        assert_eq!(fig.matches(">2022</text>").count(), 1, "{fig}");
        assert!(fig.contains(">W52</text>") && fig.contains(">W01</text>"));
        let one = per_period(
            Per::Day,
            &[day("2022-03-13", 4, 0, 0, 0, 0)],
            crate::lang::Lang::En,
        );
        assert!(one.contains(" width=\"60\" "), "{one}");
        assert!(
            !per_period(Per::Day, &week_days(), crate::lang::Lang::En).contains(">2022</text>")
        );
    }

    #[test]
    fn numbers_in_tenths() {
        assert_eq!(n(1234), "123.4");
        assert_eq!(n(1230), "123");
        assert_eq!(n(5), "0.5");
        assert_eq!(short_period("2022-03-07"), "03-07");
        assert_eq!(short_period("2022-W10"), "W10");
    }
}
