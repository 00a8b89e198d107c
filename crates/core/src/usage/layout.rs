//! Where CloudTrail puts a trail's log files in S3, and which objects are log files. PURE:
//! key strings in, answers out; the listing is the application's.
//!
//! The layouts, as AWS documents them
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html>):
//! a trail of one account writes `[<prefix>/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`;
//! an organization trail writes every account's files under
//! `[<prefix>/]AWSLogs/<o-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/`. An account may have
//! both (its own trail and the organization's), so both are read. The file names are
//! `<account>_CloudTrail_<region>_<YYYYMMDD>T<HHmm>Z_<unique>.json.gz`
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html>);
//! anything else in those folders (console folder markers, digests, copies, notes) is not a
//! log file and is skipped.

use time::Date;

/// `[<prefix>/]`: the trail's key prefix as the start of a key (empty without one).
fn base(prefix: Option<&str>) -> String {
    prefix
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty())
        .map(|p| format!("{p}/"))
        .unwrap_or_default()
}

/// `[<prefix>/]AWSLogs/`: where the accounts' and the organizations' folders are.
pub fn logs_root(prefix: Option<&str>) -> String {
    format!("{}AWSLogs/", base(prefix))
}

/// `[<prefix>/]AWSLogs/<account>/CloudTrail/`: the regions of a trail of the account.
pub fn regions_prefix(prefix: Option<&str>, account: &str) -> String {
    format!("{}{account}/CloudTrail/", logs_root(prefix))
}

/// `[<prefix>/]AWSLogs/<o-id>/<account>/CloudTrail/`: the regions of the account in an
/// organization trail.
pub fn organization_regions_prefix(prefix: Option<&str>, org_id: &str, account: &str) -> String {
    format!("{}{org_id}/{account}/CloudTrail/", logs_root(prefix))
}

/// Every place the account's log files may be: its own trail's, then one per organization.
pub fn log_prefixes(prefix: Option<&str>, account: &str, org_ids: &[String]) -> Vec<String> {
    std::iter::once(regions_prefix(prefix, account))
        .chain(
            org_ids
                .iter()
                .map(|o| organization_regions_prefix(prefix, o, account)),
        )
        .collect()
}

/// `.../CloudTrail/<region>/YYYY/MM/DD/`: one day of one region.
pub fn day_prefix(regions_prefix: &str, region: &str, day: Date) -> String {
    format!(
        "{regions_prefix}{region}/{:04}/{:02}/{:02}/",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// Is `s` an organization id: `o-` and 10 to 32 lowercase letters or digits (the pattern of
/// Organizations' `Organization.Id`)?
pub fn is_organization_id(s: &str) -> bool {
    s.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

/// The organization ids among the folders listed under `root` (common prefixes
/// `<root>o-xxxxxxxxxx/`), in order, without repeats.
pub fn organization_ids(root: &str, folders: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = folders
        .iter()
        .filter_map(|f| f.strip_prefix(root))
        .map(|f| f.trim_end_matches('/'))
        .filter(|f| is_organization_id(f))
        .map(str::to_string)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Is `s` shaped like an AWS Region name: two letters, one or more words, a number
/// (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `eu-isoe-west-1`)?
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return false;
    };
    first.len() == 2
        && first.chars().all(|c| c.is_ascii_lowercase())
        && !middle.is_empty()
        && middle
            .iter()
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
        && (1..=2).contains(&last.len())
        && last.chars().all(|c| c.is_ascii_digit())
}

/// Is `name` a CloudTrail log file's name,
/// `<account>_CloudTrail_<region>_<YYYYMMDD>T<HHmm>Z_<unique>.json.gz`? The unique part is
/// documented as 16 characters "to be ignored": any letters and digits are accepted.
pub fn is_log_file_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".json.gz") else {
        return false;
    };
    let mut parts = stem.splitn(5, '_');
    let (Some(account), Some("CloudTrail"), Some(region), Some(time), Some(unique)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let time_ok = time.len() == 14
        && time.get(0..8).is_some_and(digits)
        && time.get(8..9) == Some("T")
        && time.get(9..13).is_some_and(digits)
        && time.get(13..) == Some("Z");
    account.len() == 12
        && digits(account)
        && is_region(region)
        && time_ok
        && !unique.is_empty()
        && unique.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Is `key`, listed under a day's prefix, a log file of that day (a log file's name directly
/// in the day's folder)?
pub fn is_log_file(day_prefix: &str, key: &str) -> bool {
    key.strip_prefix(day_prefix)
        .is_some_and(|name| !name.contains('/') && is_log_file_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn both_layouts_with_and_without_a_prefix() {
        assert_eq!(logs_root(None), "AWSLogs/");
        assert_eq!(logs_root(Some("/trails/org/")), "trails/org/AWSLogs/");
        let r = regions_prefix(Some("/trails/org/"), "123456789012");
        assert_eq!(r, "trails/org/AWSLogs/123456789012/CloudTrail/");
        assert_eq!(
            day_prefix(&r, "eu-west-1", date!(2026 - 03 - 02)),
            "trails/org/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/03/02/"
        );
        assert_eq!(regions_prefix(None, "1"), "AWSLogs/1/CloudTrail/");
        assert_eq!(
            log_prefixes(None, "111111111111", &["o-exampleorgid".to_string()]),
            [
                "AWSLogs/111111111111/CloudTrail/",
                "AWSLogs/o-exampleorgid/111111111111/CloudTrail/"
            ]
        );
        assert_eq!(
            organization_regions_prefix(Some("p"), "o-exampleorgid", "1"),
            "p/AWSLogs/o-exampleorgid/1/CloudTrail/"
        );
    }

    #[test]
    fn organization_ids_from_a_listing() {
        let folders = [
            "t/AWSLogs/123456789012/",
            "t/AWSLogs/o-a1b2c3d4e5/",
            "t/AWSLogs/o-short/",
            "t/AWSLogs/o-UPPERCASE01/",
            "t/AWSLogs/o-a1b2c3d4e5/",
            "elsewhere/o-zzzzzzzzzz/",
        ]
        .map(String::from);
        assert_eq!(organization_ids("t/AWSLogs/", &folders), ["o-a1b2c3d4e5"]);
        assert!(is_organization_id("o-exampleorgid"));
        assert!(!is_organization_id("o-"));
        assert!(!is_organization_id(&format!("o-{}", "a".repeat(33))));
    }

    #[test]
    fn region_shaped_folders() {
        for ok in [
            "us-east-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "eu-isoe-west-1",
            "il-central-1",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "_CloudTrail-Digest",
            "CloudTrail-Insight",
            "us-east",
            "us-east-1a",
            "US-EAST-1",
            "use1",
            "",
            "us--1",
            "us-east-123",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn only_log_files_are_read() {
        let day = "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/";
        // the example name of AWS's documentation
        assert!(is_log_file(
            day,
            &format!(
                "{day}111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz"
            )
        ));
        for stray in [
            // the console's folder marker
            day.to_string(),
            format!("{day}corrupt.json.gz"),
            format!(
                "{day}111122223333_CloudTrail-Digest_us-east-2_trail_us-east-2_20150801T0210Z.json.gz"
            ),
            format!("{day}111122223333_CloudTrail-Insight_us-east-2_20150801T0210Z_abc.json.gz"),
            format!("{day}111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json"),
            format!("{day}111122223333_CloudTrail_us-east-2_20150801T0210Z_.json.gz"),
            format!("{day}1111_CloudTrail_us-east-2_20150801T0210Z_abc.json.gz"),
            format!("{day}111122223333_CloudTrail_nowhere_20150801T0210Z_abc.json.gz"),
            format!("{day}111122223333_CloudTrail_us-east-2_20150801-0210Z_abc.json.gz"),
            format!("{day}sub/111122223333_CloudTrail_us-east-2_20150801T0210Z_abc.json.gz"),
            "elsewhere/111122223333_CloudTrail_us-east-2_20150801T0210Z_abc.json.gz".to_string(),
        ] {
            assert!(!is_log_file(day, &stray), "{stray}");
        }
    }
}
