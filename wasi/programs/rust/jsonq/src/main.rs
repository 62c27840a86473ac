//! jsonq: a JSON transformer on serde_json. Reads an array of order records, groups them
//! by a field (argument, or $JSONQ_GROUP, default "customer"), and writes a report with
//! per-group counts, totals, the largest order and a sorted list of items; prints a
//! summary. Malformed input is reported with its line and column, exit status 3.
//!
//! usage: jsonq INPUT.json OUTPUT.json [FIELD]

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::process::ExitCode;

#[derive(Deserialize)]
struct Order {
    id: u64,
    customer: String,
    region: String,
    items: Vec<Item>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize, Serialize, Clone)]
struct Item {
    sku: String,
    qty: u32,
    price: f64,
}

#[derive(Serialize, Default)]
struct Group {
    orders: usize,
    total: f64,
    largest_order: Option<u64>,
    largest_total: f64,
    skus: Vec<String>,
    tags: BTreeMap<String, usize>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: jsonq INPUT.json OUTPUT.json [FIELD]");
        return ExitCode::from(2);
    }
    let field = args
        .get(3)
        .cloned()
        .or_else(|| std::env::var("JSONQ_GROUP").ok())
        .unwrap_or_else(|| "customer".into());
    let text = match std::fs::read_to_string(&args[1]) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("jsonq: cannot read {}: {e}", args[1]);
            return ExitCode::from(1);
        }
    };
    let orders: Vec<Order> = match serde_json::from_str(&text) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("jsonq: {}: {e}", args[1]);
            return ExitCode::from(3);
        }
    };
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for order in &orders {
        let key = match field.as_str() {
            "region" => order.region.clone(),
            "customer" => order.customer.clone(),
            other => {
                eprintln!("jsonq: cannot group by {other:?}");
                return ExitCode::from(2);
            }
        };
        let total: f64 = order.items.iter().map(|i| i.qty as f64 * i.price).sum();
        let g = groups.entry(key).or_default();
        g.orders += 1;
        g.total += total;
        if g.largest_order.is_none() || total > g.largest_total {
            g.largest_order = Some(order.id);
            g.largest_total = total;
        }
        for item in &order.items {
            if !g.skus.contains(&item.sku) {
                g.skus.push(item.sku.clone());
            }
        }
        for tag in &order.tags {
            *g.tags.entry(tag.clone()).or_default() += 1;
        }
    }
    for g in groups.values_mut() {
        g.skus.sort();
        g.total = (g.total * 100.0).round() / 100.0;
    }
    let mut report = Map::new();
    report.insert("grouped_by".into(), json!(field));
    report.insert("orders".into(), json!(orders.len()));
    report.insert("groups".into(), serde_json::to_value(&groups).expect("serializable"));
    let grand: f64 = groups.values().map(|g| g.total).sum();
    report.insert("grand_total".into(), json!((grand * 100.0).round() / 100.0));
    let out = serde_json::to_string_pretty(&Value::Object(report)).expect("serializable");
    if let Err(e) = std::fs::write(&args[2], out + "\n") {
        eprintln!("jsonq: cannot write {}: {e}", args[2]);
        return ExitCode::from(1);
    }
    println!("{} orders in {} groups by {field}, total {:.2}", orders.len(), groups.len(), grand);
    for (name, g) in &groups {
        println!("  {name}: {} orders, {:.2}", g.orders, g.total);
    }
    ExitCode::SUCCESS
}
