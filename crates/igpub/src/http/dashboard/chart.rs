//! A small server-side SVG line chart for daily series: axes, "nice" value ticks, date labels,
//! gaps drawn as gaps (a day without data is not a zero), and a text alternative.
//!
//! A pure function of its input, so the insights page needs no chart library and no script.

use std::fmt::Write as _;

use jiff::civil::Date;

/// The drawing's size in SVG units (it scales to its box; see `app.css`).
/// About the width a chart gets on a phone or in a third of the desktop page, so its 11-unit
/// labels show at about 11 px.
const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;
/// How many value ticks to aim for.
const TICKS: f64 = 4.0;

/// One chart: what it shows and its daily points (`None` is a day without data).
#[derive(Debug, Clone, Copy)]
pub struct LineChart<'a> {
    /// A token unique on the page, for the title's and description's ids.
    pub id: &'a str,
    /// What it shows, e.g. `Reach per day`.
    pub title: &'a str,
    /// One point per day, in date order.
    pub points: &'a [(Date, Option<i64>)],
}

impl LineChart<'_> {
    /// The chart as an `<svg>` element.
    pub fn to_svg(&self) -> String {
        let id = slug(self.id);
        let values: Vec<i64> = self.points.iter().filter_map(|(_, v)| *v).collect();
        let mut svg = String::with_capacity(4096);
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="line-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
            escape(self.title),
            escape(&self.description(&values)),
        );
        let (low, high, step) = value_axis(&values);
        self.draw_grid(&mut svg, low, high, step);
        self.draw_date_labels(&mut svg);
        let _ = write!(
            svg,
            r#"<line class="line-chart__axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}"/><line class="line-chart__axis" x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}"/>"#,
            b = HEIGHT - BOTTOM,
            r = WIDTH - RIGHT,
        );
        if values.is_empty() {
            let _ = write!(
                svg,
                r#"<text class="line-chart__empty" x="{}" y="{}" text-anchor="middle">No data for these days yet</text>"#,
                LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
                TOP + (HEIGHT - TOP - BOTTOM) / 2.0,
            );
        } else {
            self.draw_line(&mut svg, low, high);
        }
        svg.push_str("</svg>");
        svg
    }

    /// The text alternative: the range and the extremes.
    fn description(&self, values: &[i64]) -> String {
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return "No days to show.".to_owned();
        };
        match (values.iter().min(), values.iter().max()) {
            (Some(min), Some(max)) => format!(
                "From {} to {}: lowest {}, highest {}, {} of {} days with data.",
                first.0,
                last.0,
                min,
                max,
                values.len(),
                self.points.len()
            ),
            _ => format!("From {} to {}: no data yet.", first.0, last.0),
        }
    }

    fn x(&self, index: usize) -> f64 {
        let plot = WIDTH - LEFT - RIGHT;
        match self.points.len() {
            0 | 1 => LEFT + plot / 2.0,
            n => LEFT + plot * index as f64 / (n - 1) as f64,
        }
    }

    fn draw_grid(&self, svg: &mut String, low: i64, high: i64, step: i64) {
        let mut tick = low;
        while tick <= high {
            let y = y_of(tick, low, high);
            let _ = write!(
                svg,
                r#"<line class="line-chart__grid" x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}"/><text class="line-chart__label" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 5.0,
                y + 4.0,
                compact(tick),
            );
            match tick.checked_add(step) {
                Some(next) if step > 0 => tick = next,
                _ => break,
            }
        }
    }

    /// The first, middle and last days under the axis.
    fn draw_date_labels(&self, svg: &mut String) {
        let n = self.points.len();
        let mut shown: Vec<usize> = match n {
            0 => Vec::new(),
            1 => vec![0],
            _ => vec![0, (n - 1) / 2, n - 1],
        };
        shown.dedup();
        for index in shown {
            let Some((date, _)) = self.points.get(index) else {
                continue;
            };
            let anchor = match index {
                0 if n > 1 => "start",
                i if i + 1 == n && n > 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                svg,
                r#"<text class="line-chart__label" x="{:.1}" y="{}" text-anchor="{anchor}">{}</text>"#,
                self.x(index),
                HEIGHT - BOTTOM + 16.0,
                date.strftime("%b %-d"),
            );
        }
    }

    /// The line, one segment per run of days with data; a lone day becomes a dot.
    fn draw_line(&self, svg: &mut String, low: i64, high: i64) {
        let mut path = String::new();
        let mut dots = String::new();
        let mut run: Vec<(f64, f64)> = Vec::new();
        let flush = |run: &mut Vec<(f64, f64)>, path: &mut String, dots: &mut String| {
            match run.as_slice() {
                [] => {}
                [(x, y)] => {
                    let _ = write!(
                        dots,
                        r#"<circle class="line-chart__dot" cx="{x:.1}" cy="{y:.1}" r="3"/>"#
                    );
                }
                [(x0, y0), rest @ ..] => {
                    let _ = write!(path, "M{x0:.1} {y0:.1}");
                    for (x, y) in rest {
                        let _ = write!(path, " L{x:.1} {y:.1}");
                    }
                }
            }
            run.clear();
        };
        for (index, (_, value)) in self.points.iter().enumerate() {
            match value {
                Some(value) => run.push((self.x(index), y_of(*value, low, high))),
                None => flush(&mut run, &mut path, &mut dots),
            }
        }
        flush(&mut run, &mut path, &mut dots);
        if !path.is_empty() {
            let _ = write!(svg, r#"<path class="line-chart__line" d="{path}"/>"#);
        }
        svg.push_str(&dots);
    }
}

/// The value axis: from a nice low to a nice high, in nice steps; 0 is always on it.
fn value_axis(values: &[i64]) -> (i64, i64, i64) {
    let min = values.iter().copied().min().unwrap_or(0).min(0);
    let max = values.iter().copied().max().unwrap_or(0).max(0);
    let span = max.saturating_sub(min).max(1);
    let step = nice_step(span as f64 / TICKS);
    let low = min.div_euclid(step).saturating_mul(step);
    let mut high = max.div_euclid(step).saturating_mul(step);
    if high < max {
        high = high.saturating_add(step);
    }
    if high == low {
        high = low.saturating_add(step);
    }
    (low, high, step)
}

/// The smallest 1, 2 or 5 × 10ⁿ at least `raw` (and at least 1).
fn nice_step(raw: f64) -> i64 {
    if !raw.is_finite() || raw <= 1.0 {
        return 1;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let nice = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|candidate| *candidate >= raw)
        .unwrap_or(10.0 * magnitude);
    // Counts from Meta are far below i64::MAX; the cast saturates if one were not.
    nice.round() as i64
}

fn y_of(value: i64, low: i64, high: i64) -> f64 {
    let plot = HEIGHT - TOP - BOTTOM;
    let span = (high as f64 - low as f64).max(1.0);
    TOP + plot * (high as f64 - value as f64) / span
}

/// `1500` → `1.5k`, `2000000` → `2M`.
fn compact(value: i64) -> String {
    let magnitude = value.unsigned_abs();
    let sign = if value < 0 { "-" } else { "" };
    let (scaled, suffix) = match magnitude {
        0..1_000 => return value.to_string(),
        1_000..1_000_000 => (magnitude as f64 / 1e3, "k"),
        1_000_000..1_000_000_000 => (magnitude as f64 / 1e6, "M"),
        _ => (magnitude as f64 / 1e9, "B"),
    };
    let text = format!("{scaled:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{sign}{text}{suffix}")
}

/// Only letters, digits and dashes, for ids.
fn slug(text: &str) -> String {
    let slug: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("chart-{slug}")
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn days(values: &[Option<i64>]) -> Vec<(Date, Option<i64>)> {
        let start = date(2026, 11, 1);
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let day = start
                    .checked_add(jiff::Span::new().days(i as i64))
                    .unwrap_or(start);
                (day, *v)
            })
            .collect()
    }

    fn svg(values: &[Option<i64>]) -> String {
        let points = days(values);
        LineChart {
            id: "reach",
            title: "Reach per day",
            points: &points,
        }
        .to_svg()
    }

    /// The `d` of the chart's path ("" when there is none).
    fn path_of(out: &str) -> String {
        out.split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn a_full_series_is_one_path_through_every_day() {
        let out = svg(&[Some(1), Some(5), Some(3), Some(8)]);
        assert!(out.starts_with("<svg") && out.ends_with("</svg>"));
        let path = path_of(&out);
        assert_eq!(path.matches('M').count(), 1, "{path}");
        assert_eq!(path.matches('L').count(), 3, "{path}");
        assert!(!out.contains("circle"));
    }

    #[test]
    fn a_day_without_data_breaks_the_line() {
        let out = svg(&[Some(1), Some(2), None, Some(4), Some(5)]);
        let path = path_of(&out);
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert_eq!(path.matches('L').count(), 2, "{path}");
    }

    #[test]
    fn higher_values_are_drawn_higher() {
        let path = path_of(&svg(&[Some(0), Some(10)]));
        let ys: Vec<f64> = path
            .split(['M', 'L'])
            .filter_map(|point| point.split_whitespace().nth(1)?.parse().ok())
            .collect();
        assert_eq!(ys.len(), 2, "{path}");
        assert!(ys[1] < ys[0], "SVG y grows downwards: {path}");
    }

    #[test]
    fn a_lone_day_between_gaps_is_a_dot() {
        let out = svg(&[None, Some(7), None]);
        assert!(out.contains("<circle"), "{out}");
        assert!(!out.contains("<path"), "{out}");
    }

    #[test]
    fn no_data_says_so_and_draws_no_line() {
        let out = svg(&[None, None]);
        assert!(out.contains("No data for these days yet"));
        assert!(!out.contains("<path") && !out.contains("<circle"));
    }

    #[test]
    fn the_axes_carry_nice_value_ticks_and_the_first_middle_and_last_dates() {
        let out = svg(&[Some(0), Some(1234), Some(3400)]);
        for label in [">0<", ">1k<", ">2k<", ">3k<", ">4k<"] {
            assert!(out.contains(label), "{label} missing in {out}");
        }
        for label in [">Nov 1<", ">Nov 2<", ">Nov 3<"] {
            assert!(out.contains(label), "{label} missing in {out}");
        }
        assert_eq!(out.matches("line-chart__axis").count(), 2);
    }

    #[test]
    fn negative_values_get_ticks_below_zero() {
        let out = svg(&[Some(-3), Some(4)]);
        assert!(out.contains(">-"), "{out}");
        assert!(out.contains(">0<"), "{out}");
    }

    #[test]
    fn the_text_alternative_names_the_range_and_extremes() {
        let out = svg(&[Some(12), None, Some(340)]);
        assert!(
            out.contains("From 2026-11-01 to 2026-11-03: lowest 12, highest 340, 2 of 3 days"),
            "{out}"
        );
        assert!(out.contains(r#"aria-labelledby="chart-reach-title chart-reach-desc""#));
    }

    #[test]
    fn titles_are_escaped() {
        let points = days(&[Some(1)]);
        let out = LineChart {
            id: "x\"><script>",
            title: "<b>&",
            points: &points,
        }
        .to_svg();
        assert!(out.contains("&lt;b&gt;&amp;"));
        assert!(!out.contains("<script>"));
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1500), "1.5k");
        assert_eq!(compact(2_000_000), "2M");
        assert_eq!(compact(-1200), "-1.2k");
        let extreme = compact(i64::MIN);
        assert!(
            extreme.starts_with('-') && extreme.ends_with('B'),
            "{extreme}"
        );
    }

    #[test]
    fn nice_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(0.3), 1);
        assert_eq!(nice_step(3.0), 5);
        assert_eq!(nice_step(850.0), 1000);
        assert_eq!(nice_step(120.0), 200);
    }

    proptest! {
        #[test]
        fn any_series_draws_finite_coordinates(values in prop::collection::vec(prop::option::of(-1_000_000_000i64..1_000_000_000), 0..60)) {
            let out = svg(&values);
            prop_assert!(!out.contains("NaN") && !out.contains("inf"), "{}", out);
            prop_assert!(out.ends_with("</svg>"));
        }
    }
}
