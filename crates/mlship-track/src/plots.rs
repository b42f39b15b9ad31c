//! Diagnostic plots as standalone SVG (no script, no external font or
//! stylesheet), so they render offline in the UI, in a browser, or in a PR.
//! Four shapes cover the run's plots: a scatter (residuals, prediction
//! error), horizontal bars (coefficients, a metric per fold), curves on the
//! unit square (ROC, precision-recall, calibration) and a grid of numbers
//! shaded by value (confusion matrix, class report).
//! `strips` draws rows of dots coloured by a second value (SHAP summary plots).

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// Escapes text for SVG element content and quoted attribute values.
///
/// The workspace's only hand-written escaping, kept on purpose: every HTML
/// page is an askama template that escapes by default, but an SVG here is
/// geometry computed in Rust with five text slots (title, axis labels, bar
/// labels), all in this file. A template per shape would move the arithmetic
/// into template expressions, and give the SQL crate a template engine, for
/// no gain in safety. Private, so nothing else grows its own use of it.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-3..1e6).contains(&magnitude) {
        format!("{value:.2e}")
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}").trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn header(title: &str, height: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"{t}\">\
         <title>{t}</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{t}</text>",
        WIDTH / 2.0,
        t = escape(title)
    )
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    if low == high {
        return (low - 1.0, high + 1.0);
    }
    let pad = (high - low) * 0.05;
    (low - pad, high + pad)
}

/// Points (x, y) with axes; `identity` draws y = x, `zero` draws y = 0.
pub fn scatter(title: &str, x_label: &str, y_label: &str, points: &[(f64, f64)], identity: bool, zero: bool) -> String {
    let (x0, x1) = range(points.iter().map(|p| p.0));
    let (mut y0, mut y1) = range(points.iter().map(|p| p.1));
    if zero {
        y0 = y0.min(0.0);
        y1 = y1.max(0.0);
    }
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0) * plot_w;
    let sy = |y: f64| TOP + plot_h - (y - y0) / (y1 - y0) * plot_h;
    let mut svg = header(title, HEIGHT);
    let _ = write!(
        svg,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#999\"/>"
    );
    for i in 0..=4 {
        let fx = x0 + (x1 - x0) * f64::from(i) / 4.0;
        let fy = y0 + (y1 - y0) * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            sx(fx),
            HEIGHT - BOTTOM + 16.0,
            number(fx),
            LEFT - 6.0,
            sy(fy) + 4.0,
            number(fy)
        );
    }
    if identity {
        let (a, b) = (x0.max(y0), x1.min(y1));
        if a < b {
            let _ = write!(
                svg,
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#c33\" stroke-dasharray=\"6 4\"/>",
                sx(a),
                sy(a),
                sx(b),
                sy(b)
            );
        }
    }
    if zero {
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#c33\" stroke-dasharray=\"6 4\"/>",
            LEFT + plot_w,
            y = sy(0.0)
        );
    }
    svg.push_str("<g fill=\"#2563eb\" fill-opacity=\"0.55\">");
    for &(x, y) in points.iter().filter(|(x, y)| x.is_finite() && y.is_finite()) {
        let _ = write!(svg, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\"/>", sx(x), sy(y));
    }
    let _ = write!(
        svg,
        "</g><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text></svg>",
        LEFT + plot_w / 2.0,
        HEIGHT - 12.0,
        escape(x_label),
        TOP + plot_h / 2.0,
        escape(y_label)
    );
    svg
}

/// One horizontal bar per label; negative values grow left of zero.
pub fn bars(title: &str, value_label: &str, items: &[(String, f64)]) -> String {
    let row = 22.0;
    let height = TOP + BOTTOM + row * items.len().max(1) as f64;
    let label_w = 170.0;
    let plot_x = label_w + 10.0;
    let plot_w = WIDTH - plot_x - RIGHT - 60.0;
    let low = items.iter().map(|i| i.1).fold(0.0_f64, f64::min);
    let high = items.iter().map(|i| i.1).fold(0.0_f64, f64::max);
    let span = if high - low > 0.0 { high - low } else { 1.0 };
    let sx = |v: f64| plot_x + (v - low) / span * plot_w;
    let mut svg = header(title, height);
    for (i, (label, value)) in items.iter().enumerate() {
        let y = TOP + row * i as f64;
        let (a, b) = (sx(0.0_f64.min(*value)), sx(0.0_f64.max(*value)));
        let colour = if *value < 0.0 { "#dc2626" } else { "#2563eb" };
        let shown: String = label.chars().take(26).collect();
        let _ = write!(
            svg,
            "<text x=\"{label_w}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            y + 15.0,
            escape(&shown),
            y + 3.0,
            (b - a).max(0.5),
            row - 6.0,
            escape(label),
            number(*value),
            b.max(sx(0.0)) + 4.0,
            y + 15.0,
            number(*value)
        );
    }
    let _ = write!(
        svg,
        "<line x1=\"{z:.1}\" y1=\"{TOP}\" x2=\"{z:.1}\" y2=\"{:.1}\" stroke=\"#555\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></svg>",
        height - BOTTOM,
        plot_x + plot_w / 2.0,
        height - 14.0,
        escape(value_label),
        z = sx(0.0)
    );
    svg
}

/// One row of dots per label (a SHAP summary plot): each dot at its value,
/// jittered vertically by its order, coloured from blue (the lowest
/// `colour` of its row) to red (the highest); a vertical line at zero.
pub fn strips(title: &str, value_label: &str, rows: &[(String, Vec<(f64, f64)>)]) -> String {
    let row_h = 26.0;
    let height = TOP + BOTTOM + row_h * rows.len().max(1) as f64;
    let label_w = 170.0;
    let plot_x = label_w + 10.0;
    let plot_w = WIDTH - plot_x - RIGHT;
    let (x0, x1) = range(rows.iter().flat_map(|(_, points)| points.iter().map(|p| p.0)).chain([0.0]));
    let sx = |v: f64| plot_x + (v - x0) / (x1 - x0) * plot_w;
    let mut svg = header(title, height);
    for (i, (label, points)) in rows.iter().enumerate() {
        let y = TOP + row_h * i as f64 + row_h / 2.0;
        let shown: String = label.chars().take(26).collect();
        let _ = write!(svg, "<text x=\"{label_w}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>", y + 4.0, escape(&shown));
        let finite = points.iter().map(|p| p.1).filter(|c| c.is_finite());
        let (c0, c1) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| (a.min(c), b.max(c)));
        for (k, &(value, colour)) in points.iter().enumerate().filter(|(_, p)| p.0.is_finite()) {
            // The row's lowest colour value is blue, its highest red (all one value: between).
            let t = if colour.is_finite() && c1 > c0 { ((colour - c0) / (c1 - c0)).clamp(0.0, 1.0) } else { 0.5 };
            let (r, b) = ((37.0 + t * 183.0) as u8, (235.0 - t * 197.0) as u8);
            // A deterministic jitter: dots of one row spread over its height.
            let jitter = ((k * 7919) % 17) as f64 / 16.0 * (row_h - 10.0) - (row_h - 10.0) / 2.0;
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.2\" fill=\"rgb({r},60,{b})\" fill-opacity=\"0.7\"/>",
                sx(value),
                y + jitter
            );
        }
    }
    let _ = write!(
        svg,
        "<line x1=\"{z:.1}\" y1=\"{TOP}\" x2=\"{z:.1}\" y2=\"{:.1}\" stroke=\"#555\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></svg>",
        height - BOTTOM,
        plot_x + plot_w / 2.0,
        height - 14.0,
        escape(value_label),
        sx(x0),
        height - BOTTOM + 16.0,
        number(x0),
        sx(x1) - 10.0,
        height - BOTTOM + 16.0,
        number(x1),
        z = sx(0.0)
    );
    svg
}

const PALETTE: [&str; 8] = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f"];

/// Curves on the unit square, one colour per named series with a legend;
/// `diagonal` draws y = x (chance for ROC, perfect calibration).
pub fn curves(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    diagonal: bool,
) -> String {
    let plot_w = WIDTH - LEFT - RIGHT - 150.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let sx = |x: f64| LEFT + x.clamp(0.0, 1.0) * plot_w;
    let sy = |y: f64| TOP + plot_h - y.clamp(0.0, 1.0) * plot_h;
    let mut svg = header(title, HEIGHT);
    let _ = write!(
        svg,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#999\"/>"
    );
    for i in 0..=4 {
        let f = f64::from(i) / 4.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            sx(f),
            HEIGHT - BOTTOM + 16.0,
            number(f),
            LEFT - 6.0,
            sy(f) + 4.0,
            number(f)
        );
    }
    if diagonal {
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-dasharray=\"6 4\"/>",
            sx(0.0),
            sy(0.0),
            sx(1.0),
            sy(1.0)
        );
    }
    for (index, (name, points)) in series.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let path: Vec<String> = points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let legend_y = TOP + 10.0 + 18.0 * index as f64;
        let shown: String = name.chars().take(22).collect();
        let _ = write!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"><title>{}</title></polyline>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            path.join(" "),
            escape(name),
            LEFT + plot_w + 12.0,
            legend_y - 10.0,
            LEFT + plot_w + 28.0,
            legend_y,
            escape(&shown)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text></svg>",
        LEFT + plot_w / 2.0,
        HEIGHT - 12.0,
        escape(x_label),
        TOP + plot_h / 2.0,
        escape(y_label)
    );
    svg
}

/// A table of numbers, each cell shaded by its value relative to its
/// column's largest (`per_column`) or the whole grid's: a confusion matrix
/// (rows = true class, columns = predicted) or a class report.
pub fn grid(
    title: &str,
    row_names: &[String],
    column_names: &[String],
    cells: &[Vec<f64>],
    decimals: usize,
    per_column: bool,
) -> String {
    let cell_h = 28.0;
    let label_w = 150.0;
    let n_cols = column_names.len().max(1);
    let cell_w = ((WIDTH - label_w - RIGHT) / n_cols as f64).min(110.0);
    let top = TOP + 24.0;
    let height = top + cell_h * row_names.len().max(1) as f64 + 20.0;
    let max_of = |col: Option<usize>| {
        cells
            .iter()
            .flat_map(|row| row.iter().enumerate())
            .filter(|(c, v)| col.is_none_or(|col| *c == col) && v.is_finite())
            .fold(0.0_f64, |m, (_, v)| m.max(v.abs()))
    };
    let mut svg = header(title, height);
    for (c, name) in column_names.iter().enumerate() {
        let shown: String = name.chars().take(14).collect();
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>",
            label_w + cell_w * (c as f64 + 0.5),
            top - 8.0,
            escape(&shown)
        );
    }
    for (r, (name, row)) in row_names.iter().zip(cells).enumerate() {
        let y = top + cell_h * r as f64;
        let shown: String = name.chars().take(22).collect();
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-weight=\"bold\">{}</text>",
            label_w - 8.0,
            y + cell_h / 2.0 + 4.0,
            escape(&shown)
        );
        for (c, value) in row.iter().enumerate() {
            let max = max_of(per_column.then_some(c));
            let shade = if max > 0.0 && value.is_finite() { value.abs() / max } else { 0.0 };
            let text = if value.is_finite() { format!("{value:.decimals$}") } else { String::new() };
            let ink = if shade > 0.6 { "#fff" } else { "#111" };
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{cell_w:.1}\" height=\"{cell_h}\" fill=\"#2563eb\" fill-opacity=\"{:.3}\" stroke=\"#ddd\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>",
                label_w + cell_w * c as f64,
                0.05 + 0.9 * shade,
                label_w + cell_w * (c as f64 + 0.5),
                y + cell_h / 2.0 + 4.0,
                escape(&text)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_are_escaped_standalone_svg() {
        let svg = scatter(
            "Residuals <test>",
            "Predicted",
            "Residual",
            &[(1.0, 2.0), (3.0, f64::NAN), (2.0, -1.0)],
            false,
            true,
        );
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("Residuals &lt;test&gt;"));
        assert_eq!(svg.matches("<circle").count(), 2, "the NaN point is skipped");
        let bars = bars("Coefficients", "value", &[("age_x_bmi".into(), -2.5), ("smoker_yes".into(), 9.0)]);
        assert_eq!(bars.matches("<rect x=").count(), 2);
        assert!(bars.contains("#dc2626"), "negative bars are red");
        assert!(!bars.contains("script"));
        let roc =
            curves("ROC <1>", "FPR", "TPR", &[("class <a>".into(), vec![(0.0, 0.0), (0.5, 0.9), (1.0, 1.0)])], true);
        assert!(roc.contains("points=\"80.0,370.0 "), "{roc}");
        assert!(roc.contains("class &lt;a&gt;") && roc.contains("ROC &lt;1&gt;"));
        let names = vec!["no".to_string(), "yes".to_string()];
        let confusion = grid("Confusion", &names, &names, &[vec![5.0, 1.0], vec![2.0, 7.0]], 0, false);
        assert_eq!(confusion.matches("<rect x=").count(), 4);
        assert!(confusion.contains(">7</text>") && confusion.contains("fill-opacity=\"0.950\""), "{confusion}");
        let rows = vec![("bmi <kg>".to_string(), vec![(1.0, 20.0), (-0.5, 40.0), (f64::NAN, 30.0)])];
        let summary = strips("SHAP", "SHAP value", &rows);
        assert!(summary.contains("bmi &lt;kg&gt;") && !summary.contains("<kg>"));
        assert_eq!(summary.matches("<circle").count(), 2, "the NaN value is skipped");
        assert!(summary.contains("rgb(37,60,235)") && summary.contains("rgb(220,60,38)"), "low blue, high red");
    }
}
