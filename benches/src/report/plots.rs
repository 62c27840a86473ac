//! The SVG plots (plotters' SVG backend: text is written as SVG `<text>`, laid out with
//! plotters' built-in size estimate, so no font files are read).

use super::Report;
use crate::runner::EngineKind;
use crate::stats::geomean;
use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

const FONT: &str = "sans-serif";

fn color(engine: EngineKind) -> RGBColor {
    match engine {
        EngineKind::StagecSpec => RGBColor(31, 90, 170),
        EngineKind::StagecIndir => RGBColor(140, 180, 230),
        EngineKind::Wasmtime => RGBColor(220, 110, 30),
        EngineKind::WasmtimeHand => RGBColor(245, 190, 120),
        EngineKind::Node => RGBColor(50, 150, 70),
        EngineKind::NodeHand => RGBColor(150, 210, 150),
    }
}

/// plotters' drawing errors, as anyhow errors.
fn draw<T, E: std::fmt::Debug>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|e| anyhow!("{e:?}"))
}

/// Names of the x-axis groups: the workloads, then `geomean`.
fn group_labels(report: &Report) -> Vec<String> {
    let mut labels: Vec<String> = report.workloads.iter().map(|w| w.name.clone()).collect();
    labels.push("geomean".into());
    labels
}

/// The label of group `x` (an integer position), or nothing between groups.
fn label_at(labels: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    labels.get(i as usize).cloned().unwrap_or_default()
}

/// The frame of a bar chart over `labels` (one group per label), y from 0 to `top`.
fn bar_chart<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    caption: &str,
    labels: &[String],
    top: f64,
    y_desc: &str,
) -> Result<Chart<'a, 'b>> {
    let mut chart = draw(
        ChartBuilder::on(area)
            .caption(caption, (FONT, 18))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..(labels.len() as f64 - 0.5), 0f64..top),
    )?;
    let formatter = |x: &f64| label_at(labels, *x);
    draw(
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(labels.len())
            .x_label_formatter(&formatter)
            .y_desc(y_desc)
            .axis_desc_style((FONT, 14))
            .label_style((FONT, 13))
            .draw(),
    )?;
    Ok(chart)
}

/// A bar chart over an SVG area.
type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The reference line at 1 across a chart of `groups` groups.
fn line_at_one(chart: &mut Chart<'_, '_>, groups: usize) -> Result<()> {
    let one = vec![(-0.5, 1.0), (groups as f64 - 0.5, 1.0)];
    draw(chart.draw_series(std::iter::once(PathElement::new(
        one,
        BLACK.stroke_width(1),
    ))))?;
    Ok(())
}

/// Grouped bars: per workload (and the geomean), each engine's median time divided by
/// stagec indirection's. Lower is faster; the line at 1 is stagec indirection.
pub(super) fn time_normalized(report: &Report, path: &Path) -> Result<()> {
    let engines = report.engines();
    let labels = group_labels(report);
    // (group, engine index, value)
    let mut bars: Vec<(usize, usize, f64)> = Vec::new();
    for (g, w) in report.workloads.iter().enumerate() {
        let Some(base) = w.median(EngineKind::StagecIndir) else {
            continue;
        };
        for (e, &engine) in engines.iter().enumerate() {
            if let Some(t) = w.median(engine) {
                bars.push((g, e, t / base));
            }
        }
    }
    let geo = report.workloads.len();
    for (e, &engine) in engines.iter().enumerate() {
        let ratios = report
            .workloads
            .iter()
            .filter_map(|w| Some(w.median(engine)? / w.median(EngineKind::StagecIndir)?));
        if let Some(g) = geomean(ratios) {
            bars.push((geo, e, g));
        }
    }
    let top = bars.iter().map(|b| b.2).fold(1.0, f64::max) * 1.1;
    let legend_width = 150;
    let width = (160 + 90 * labels.len() as u32).max(640) + legend_width;
    let root = SVGBackend::new(path, (width, 440)).into_drawing_area();
    draw(root.fill(&WHITE))?;
    let (plot_area, legend_area) = root.split_horizontally(width - legend_width);
    let mut chart = bar_chart(
        &plot_area,
        "Time per call relative to stagec indirection (lower is faster)",
        &labels,
        top,
        "median time / median(stagec indir)",
    )?;
    let slot = 0.8 / engines.len() as f64;
    for (e, &engine) in engines.iter().enumerate() {
        let c = color(engine);
        let rects = bars.iter().filter(|b| b.1 == e).map(move |&(g, e, v)| {
            let x0 = g as f64 - 0.4 + e as f64 * slot;
            Rectangle::new([(x0, 0.0), (x0 + slot * 0.92, v)], c.filled())
        });
        draw(chart.draw_series(rects))?;
    }
    line_at_one(&mut chart, labels.len())?;
    // The legend, beside the plot so that it never hides a bar.
    for (i, &engine) in engines.iter().enumerate() {
        let y = 60 + 22 * i as i32;
        draw(legend_area.draw(&Rectangle::new(
            [(4, y - 6), (18, y + 6)],
            color(engine).filled(),
        )))?;
        let style = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        draw(legend_area.draw(&Text::new(engine.label(), (24, y), style)))?;
    }
    draw(root.present())
}

/// One bar per workload (and the geomean): median(stagec indir) / median(stagec spec),
/// what binding the imports before compilation bought; the line at 1 is no change.
pub(super) fn specialization_speedup(report: &Report, path: &Path) -> Result<()> {
    let labels = group_labels(report);
    let mut bars: Vec<(usize, f64)> = report
        .workloads
        .iter()
        .enumerate()
        .filter_map(|(g, w)| Some((g, w.speedup(EngineKind::StagecIndir)?)))
        .collect();
    if let Some(g) = geomean(bars.iter().map(|b| b.1)) {
        bars.push((report.workloads.len(), g));
    }
    let top = bars.iter().map(|b| b.1).fold(1.0, f64::max) * 1.15;
    let width = (160 + 70 * labels.len() as u32).max(560);
    let root = SVGBackend::new(path, (width, 400)).into_drawing_area();
    draw(root.fill(&WHITE))?;
    let mut chart = bar_chart(
        &root,
        "Specialization speedup: stagec indirection / stagec specialized",
        &labels,
        top,
        "speedup (×)",
    )?;
    let geo = report.workloads.len();
    let spec = color(EngineKind::StagecSpec);
    draw(chart.draw_series(bars.iter().map(|&(g, v)| {
        let c = if g == geo {
            BLACK.mix(0.6).to_rgba()
        } else {
            spec.to_rgba()
        };
        Rectangle::new([(g as f64 - 0.3, 0.0), (g as f64 + 0.3, v)], c.filled())
    })))?;
    let value_style =
        TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    draw(chart.draw_series(bars.iter().map(|&(g, v)| {
        Text::new(
            format!("{v:.2}×"),
            (g as f64, v + top * 0.01),
            value_style.clone(),
        )
    })))?;
    line_at_one(&mut chart, labels.len())?;
    draw(root.present())
}
