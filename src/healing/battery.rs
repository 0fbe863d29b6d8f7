//! Battery facts stated in free-text EV descriptions (DESIGN §9): gross/usable capacity in kWh and
//! state of health in %, in the languages of EU marketplaces, with decimal commas. A rule-based
//! extractor (no LLM can run here); `extract` is the pluggable interface: it returns each value
//! with the span of text it was read from. Pure Rust.

/// A value read from the text and the byte range it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub value: f64,
    pub span: (usize, usize),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Battery {
    pub capacity_kwh: Option<Found>,
    pub soh_pct: Option<Found>,
}

/// Words that introduce a state-of-health figure (lower case).
const SOH_WORDS: &[&str] = &[
    "soh", "state of health", "battery health", "health", "batteriezustand", "akku-gesundheit", "gesundheit", "akkuzustand",
    "état de santé", "etat de sante", "santé", "batterijgezondheid", "gezondheid", "salud", "estado de salud", "stato di salute",
    "salute", "kondycja", "stan baterii", "capacità residua", "capacidad restante", "restkapazität", "capacité restante",
];

/// Words that make a kW figure a charger or motor rating, never a capacity.
const POWER_WORDS: &[&str] = &["charger", "lader", "laden", "ladeleistung", "chargeur", "recharge", "snelladen", "boordlader", "cargador", "carga", "caricatore", "ricarica", "ładowark", "ładowanie", "motor", "leistung", "puissance", "potencia", "potenza", "moc"];

struct Num {
    value: f64,
    start: usize,
    end: usize,
}

/// Numbers in the text: digits with one optional decimal point or comma ("42,2", "77.4", "82").
fn numbers(text: &str) -> Vec<Num> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.' || b[i - 1] == b',')) {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && (b[i] == b'.' || b[i] == b',') && b[i + 1].is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let s = text[start..i].replace(',', ".");
            if let Ok(value) = s.parse::<f64>() {
                out.push(Num { value, start, end: i });
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The text after a number, skipping spaces: does it start with `unit` (case-insensitive)?
fn followed_by(lower: &str, end: usize, unit: &str) -> Option<usize> {
    let rest = &lower[end..];
    let trimmed = rest.trim_start_matches([' ', '\u{a0}']);
    let skipped = rest.len() - trimmed.len();
    trimmed.starts_with(unit).then(|| end + skipped + unit.len())
}

/// Extracts battery capacity and state of health. Capacity: a number followed by "kWh" in
/// 5..=250; state of health: a number with "%" in 50..=100 within 40 characters after (or 15
/// before) a health word. Charger and motor ratings are in kW (not kWh) and are never read.
pub fn extract(description: &str) -> Battery {
    let lower = description.to_lowercase();
    // lower-casing can change byte lengths (e.g. 'İ'): fall back to the original if it did
    let text: &str = if lower.len() == description.len() { &lower } else { description };
    let nums = numbers(text);
    let mut out = Battery::default();
    for n in &nums {
        if out.capacity_kwh.is_none() {
            if let Some(end) = followed_by(text, n.end, "kwh") {
                // "16,5 kWh/100 km" is consumption, not capacity
                let consumption = text[end..].trim_start().starts_with("/100") || text[end..].trim_start().starts_with("/ 100") || text[end..].trim_start().starts_with("per 100");
                let before = &text[floor_char(text, n.start.saturating_sub(25))..n.start];
                let is_power = POWER_WORDS.iter().any(|w| before.contains(w)) && !before.contains("batter") && !before.contains("akku") && !before.contains("accu");
                if (5.0..=250.0).contains(&n.value) && !is_power && !consumption {
                    out.capacity_kwh = Some(Found { value: n.value, span: (n.start, end) });
                }
            }
        }
        if out.soh_pct.is_none() {
            if let Some(end) = followed_by(text, n.end, "%") {
                let lo = floor_char(text, n.start.saturating_sub(40));
                let before = &text[lo..n.start];
                let hi = ceil_char(text, (end + 15).min(text.len()));
                let after = &text[end..hi];
                let named = SOH_WORDS.iter().any(|w| before.contains(w) || after.contains(w));
                if named && (50.0..=100.0).contains(&n.value) {
                    out.soh_pct = Some(Found { value: n.value, span: (n.start, end) });
                }
            }
        }
    }
    out
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
#[path = "battery_test.rs"]
mod tests;
