//! Dates and times as people in a Japanese office read them: 西暦 with the 和暦 year beside it in Japanese
//! (2026年12月6日（令和8年）), day month year in English (6 Dec 2026). Always in Asia/Tokyo.

use crate::clock::Timestamp;
use crate::i18n::Locale;
use chrono::{Datelike, NaiveDate, Timelike};

/// The Japanese eras a date in the ledger can fall in, newest first: name and first day.
const ERAS: [(&str, i32, u32, u32); 3] = [
    ("令和", 2019, 5, 1),
    ("平成", 1989, 1, 8),
    ("昭和", 1926, 12, 25),
];

/// The 和暦 year of `date` ("令和8年", "令和元年"), if it falls in a known era.
pub fn wareki_year(date: NaiveDate) -> Option<String> {
    ERAS.iter().find_map(|(name, year, month, day)| {
        let start = NaiveDate::from_ymd_opt(*year, *month, *day)?;
        (date >= start).then(|| match date.year() - year + 1 {
            1 => format!("{name}元年"),
            n => format!("{name}{n}年"),
        })
    })
}

/// A date: "2026年12月6日（令和8年）" / "6 Dec 2026".
pub fn date(date: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::Ja => {
            let western = format!("{}年{}月{}日", date.year(), date.month(), date.day());
            match wareki_year(date) {
                Some(era) => format!("{western}（{era}）"),
                None => western,
            }
        }
        Locale::En => date.format("%-d %b %Y").to_string(),
    }
}

/// A moment: "2026年12月6日（令和8年）9:05" / "6 Dec 2026 09:05".
pub fn date_time(at: Timestamp, locale: Locale) -> String {
    let tokyo = at.to_tokyo();
    let day = date(tokyo.date_naive(), locale);
    match locale {
        Locale::Ja => format!("{day} {}:{:02}", tokyo.hour(), tokyo.minute()),
        Locale::En => format!("{day} {:02}:{:02}", tokyo.hour(), tokyo.minute()),
    }
}

/// A time of today: "9:05" / "09:05".
pub fn time(at: Timestamp, locale: Locale) -> String {
    let tokyo = at.to_tokyo();
    match locale {
        Locale::Ja => format!("{}:{:02}", tokyo.hour(), tokyo.minute()),
        Locale::En => format!("{:02}:{:02}", tokyo.hour(), tokyo.minute()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn japanese_dates_show_the_western_year_with_the_era_beside_it() {
        assert_eq!(
            date(day(2026, 12, 6), Locale::Ja),
            "2026年12月6日（令和8年）"
        );
        assert_eq!(
            date(day(2019, 5, 1), Locale::Ja),
            "2019年5月1日（令和元年）"
        );
        assert_eq!(
            date(day(2019, 4, 30), Locale::Ja),
            "2019年4月30日（平成31年）"
        );
        assert_eq!(
            date(day(1989, 1, 7), Locale::Ja),
            "1989年1月7日（昭和64年）"
        );
        assert_eq!(date(day(1900, 1, 1), Locale::Ja), "1900年1月1日");
    }

    #[test]
    fn english_dates_read_day_month_year() {
        assert_eq!(date(day(2026, 12, 6), Locale::En), "6 Dec 2026");
    }

    #[test]
    fn times_are_shown_in_tokyo() {
        let at = Timestamp::from_tokyo(day(2026, 12, 6), 9, 5).unwrap();
        assert_eq!(date_time(at, Locale::Ja), "2026年12月6日（令和8年） 9:05");
        assert_eq!(date_time(at, Locale::En), "6 Dec 2026 09:05");
        assert_eq!(time(at, Locale::Ja), "9:05");
    }
}
