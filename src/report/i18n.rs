//! Report wording in Chinese (the default, as the seed report) and English.

/// A counted word: singular and plural ("1 mail", "2 mails"). Chinese has
/// one form for both.
pub struct Counted {
    pub one: &'static str,
    pub many: &'static str,
}

impl Counted {
    /// `n` and the word in the right number ("1 mail", "0 mails", "3 封邮件").
    pub fn of(&self, n: usize) -> String {
        format!("{n} {}", self.word(n))
    }
}

/// Every fixed text of a report.
pub struct Labels {
    pub title: &'static str,
    pub list: &'static str,
    pub window: &'static str,
    pub by_received: &'static str,
    pub by_date: &'static str,
    pub generated: &'static str,
    pub summaries: &'static str,
    pub overview: &'static str,
    pub mails_in_window: &'static str,
    /// "{n} earlier mails shown as history", by number.
    pub history_context: Counted,
    pub threads: &'static str,
    pub new_threads: &'static str,
    pub big_threads: &'static str,
    pub participants: &'static str,
    pub by_kind: &'static str,
    pub kind: &'static str,
    pub mails: &'static str,
    /// Mails counted ("3 mails").
    pub n_mails: Counted,
    pub contents: &'static str,
    /// Threads counted ("1 thread").
    pub n_threads: Counted,
    pub window_mails: &'static str,
    pub history_mails: &'static str,
    pub period: &'static str,
    pub status: &'static str,
    pub version: &'static str,
    /// "3/5 patches arrived", by the number arrived.
    pub patches_arrived: Counted,
    pub missing: &'static str,
    pub cover_letter: &'static str,
    pub rfc: &'static str,
    pub resend: &'static str,
    pub previous_version: &'static str,
    pub superseded_by: &'static str,
    pub applied: &'static str,
    pub nak: &'static str,
    pub bots: &'static str,
    pub root_missing: &'static str,
    pub summary: &'static str,
    pub summary_source_model: &'static str,
    pub summary_source_extractive: &'static str,
    pub summary_unavailable: &'static str,
    pub messages: &'static str,
    pub history_tag: &'static str,
    pub from: &'static str,
    pub quality: &'static str,
    pub quality_none: &'static str,
    pub q_no_mid: &'static str,
    pub q_undecodable: &'static str,
    pub q_date_skew: &'static str,
    pub q_reused: &'static str,
    pub q_unreadable: &'static str,
    pub reproduce: &'static str,
    pub commits: &'static str,
    pub no_threads: &'static str,
    pub reports_index: &'static str,
    pub back_to_top: &'static str,
    pub extractive_backend: &'static str,
    /// The window reaches past the newest mail; `{newest}` is its time.
    pub stale: &'static str,
    /// Header line of the grounding check and its verdicts.
    pub grounding: &'static str,
    pub grounded: &'static str,
    pub flagged: &'static str,
    pub rejected: &'static str,
    /// Heading of a rejected model summary replaced by the extractive one.
    pub summary_rejected: &'static str,
    /// Notice under it; `{problems}` lists what was wrong.
    pub rejected_notice: &'static str,
    /// Mark after a flagged statement; `{problems}` says why.
    pub unverified: &'static str,
    /// Problem kinds: citation, name, version, identifier, expansion, uncited.
    pub problem_kinds: [&'static str; 10],
    /// A trailer written in the posted patch (given to an earlier
    /// version); `{version}` is the previous version.
    pub carried_from: &'static str,
    /// Patch numbers of one series, `{list}` ("1, 7, 12–15") of `{total}`.
    pub patches_of: &'static str,
    /// The same when the previous version is not in the archive.
    pub carried: &'static str,
    /// Heading of a changelog; `{version}` is the version.
    pub changes_in: &'static str,
    /// Where a changelog was written: the cover letter, a patch's notes
    /// (`{part}` is `2/5`), the notes of a patch without a number.
    pub changelog_cover: &'static str,
    pub patch_notes: &'static str,
    pub changelog_notes: &'static str,
    /// Heading of the replies to the previous version `{version}`.
    pub previous_review: &'static str,
    /// Items not shown: `{n}`.
    pub n_more: &'static str,
}

pub const ZH: Labels = Labels {
    title: "邮件列表周报",
    list: "列表",
    window: "时间窗口",
    by_received: "按接收时间",
    by_date: "按 Date 头",
    generated: "生成时间",
    summaries: "总结",
    overview: "总体统计",
    mails_in_window: "本期邮件",
    history_context: Counted {
        one: "另有 {n} 封历史邮件作为上下文",
        many: "另有 {n} 封历史邮件作为上下文",
    },
    threads: "线程",
    new_threads: "新线程",
    big_threads: "大线程 (>20 封)",
    participants: "参与者",
    by_kind: "分类分布",
    kind: "类别",
    mails: "邮件",
    n_mails: Counted {
        one: "封邮件",
        many: "封邮件",
    },
    contents: "目录",
    n_threads: Counted {
        one: "个线程",
        many: "个线程",
    },
    window_mails: "本期",
    history_mails: "历史",
    period: "时间",
    status: "状态",
    version: "版本",
    patches_arrived: Counted {
        one: "补丁已到",
        many: "补丁已到",
    },
    missing: "缺少",
    cover_letter: "有封面信",
    rfc: "RFC",
    resend: "重发",
    previous_version: "上一版",
    superseded_by: "已被新版本取代",
    applied: "已合入/排队",
    nak: "NAK",
    bots: "机器人",
    root_missing: "线程首封邮件不在归档中",
    summary: "总结",
    summary_source_model: "模型生成",
    summary_source_extractive: "提取式（未使用模型）",
    summary_unavailable: "模型总结不可用，以下为提取式总结",
    messages: "邮件列表",
    history_tag: "历史",
    from: "发件人",
    quality: "数据质量",
    quality_none: "本期没有发现数据问题。",
    q_no_mid: "缺少 Message-ID 的邮件",
    q_undecodable: "含无法解码内容的邮件",
    q_date_skew: "Date 头缺失或与接收时间相差超过两天",
    q_reused: "重复使用已有 Message-ID 的不同邮件（未计入）",
    q_unreadable: "无法读取的提交",
    reproduce: "复现",
    commits: "提交范围",
    no_threads: "本期没有邮件。",
    reports_index: "报告索引",
    back_to_top: "返回顶部",
    extractive_backend: "提取式（无模型）",
    stale: "归档中最新的邮件为 {newest}：本窗口可能不完整；请运行 sync",
    grounding: "事实核查",
    grounded: "有据",
    flagged: "有存疑处",
    rejected: "被拒",
    summary_rejected: "提取式；模型总结未通过事实核查",
    rejected_notice: "模型总结未通过事实核查（{problems}），以下为提取式总结。",
    unverified: "存疑：{problems}",
    problem_kinds: [
        "引用了不存在的邮件",
        "线程中没有此人",
        "线程中没有此版本",
        "线程中没有此标识符",
        "线程中没有此缩写全称",
        "未注明出处",
        "与线程中的标签不符",
        "被引用的邮件并非此人所写",
        "状态与线程不符",
        "补丁数量与系列不符",
    ],
    carried_from: "沿用自 v{version}",
    patches_of: "{list}，共 {total}",
    carried: "补丁中已带",
    changes_in: "v{version} 的改动",
    changelog_cover: "封面信",
    patch_notes: "补丁 {part} 的说明",
    changelog_notes: "补丁说明",
    previous_review: "v{version} 的评审",
    n_more: "另有 {n} 条",
};

pub const EN: Labels = Labels {
    title: "mailing list digest",
    list: "List",
    window: "Window",
    by_received: "by received time",
    by_date: "by Date header",
    generated: "Generated",
    summaries: "Summaries",
    overview: "Overview",
    mails_in_window: "Mails in window",
    history_context: Counted {
        one: "{n} earlier mail shown as history",
        many: "{n} earlier mails shown as history",
    },
    threads: "Threads",
    new_threads: "new",
    big_threads: "big (>20 mails)",
    participants: "Participants",
    by_kind: "By kind",
    kind: "Kind",
    mails: "Mails",
    n_mails: Counted {
        one: "mail",
        many: "mails",
    },
    contents: "Contents",
    n_threads: Counted {
        one: "thread",
        many: "threads",
    },
    window_mails: "in window",
    history_mails: "history",
    period: "Period",
    status: "Status",
    version: "version",
    patches_arrived: Counted {
        one: "patch arrived",
        many: "patches arrived",
    },
    missing: "missing",
    cover_letter: "cover letter",
    rfc: "RFC",
    resend: "resend",
    previous_version: "Previous version",
    superseded_by: "Superseded by",
    applied: "Applied/queued",
    nak: "NAK",
    bots: "Bots",
    root_missing: "the thread's first mail is not in the archive",
    summary: "Summary",
    summary_source_model: "by the model",
    summary_source_extractive: "extractive (no model)",
    summary_unavailable: "model summary unavailable; extractive summary follows",
    messages: "Mails",
    history_tag: "history",
    from: "From",
    quality: "Data quality",
    quality_none: "No data problems found in this window.",
    q_no_mid: "Mails without Message-ID",
    q_undecodable: "Mails with undecodable content",
    q_date_skew: "Date header missing or more than two days from the received time",
    q_reused: "Different mails reusing an earlier Message-ID (not counted)",
    q_unreadable: "Unreadable commits",
    reproduce: "Reproduce",
    commits: "Commits",
    no_threads: "No mail in this window.",
    reports_index: "Reports",
    back_to_top: "back to top",
    extractive_backend: "extractive (no model)",
    stale: "newest mail {newest}: this window may be incomplete; run sync",
    grounding: "Grounding",
    grounded: "grounded",
    flagged: "flagged",
    rejected: "rejected",
    summary_rejected: "extractive; the model summary failed the grounding check",
    rejected_notice: "The model summary failed the grounding check ({problems}); the extractive summary is shown.",
    unverified: "unverified: {problems}",
    problem_kinds: [
        "cites a mail the thread does not have",
        "person not in the thread",
        "version not in the thread",
        "identifier not in the thread",
        "expansion not in the thread",
        "no mail cited",
        "trailer contradicts the thread",
        "not the writer of the cited mail",
        "status contradicts the thread",
        "patch count contradicts the series",
    ],
    carried_from: "carried from v{version}",
    patches_of: "{list} of {total}",
    carried: "carried in the patch",
    changes_in: "Changes in v{version}",
    changelog_cover: "cover letter",
    patch_notes: "notes of patch {part}",
    changelog_notes: "patch notes",
    previous_review: "Review of v{version}",
    n_more: "{n} more",
};

impl Counted {
    /// The word alone, in the right number for `n`.
    pub fn word(&self, n: usize) -> &'static str {
        if n == 1 { self.one } else { self.many }
    }
}

pub fn labels(lang: &str) -> &'static Labels {
    if lang.to_ascii_lowercase().starts_with("zh") {
        &ZH
    } else {
        &EN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_counts_are_singular_for_one() {
        assert_eq!(EN.n_mails.of(1), "1 mail");
        assert_eq!(EN.n_mails.of(0), "0 mails");
        assert_eq!(EN.n_threads.of(1), "1 thread");
        assert_eq!(EN.n_threads.of(2), "2 threads");
        assert_eq!(EN.patches_arrived.word(1), "patch arrived");
        assert_eq!(ZH.n_mails.of(1), "1 封邮件");
    }
}
