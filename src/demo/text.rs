//! Listing titles and free-text descriptions in the language of the listing's region. EV
//! descriptions state battery capacity and state of health in the varied forms real sellers use
//! (units, decimal commas, several languages), or not at all, plus distractors such as charger
//! power that an extractor must not mistake for capacity.

use super::catalog::{Lang, Powertrain};
use rand::Rng;

/// Number formatting as a seller in that language writes it: decimal comma outside English.
pub fn fmt_num(v: f64, lang: Lang, comma_ok: bool) -> String {
    let s = if (v - v.round()).abs() < 1e-9 { format!("{}", v.round() as i64) } else { format!("{v:.1}") };
    if comma_ok && lang != Lang::En { s.replace('.', ",") } else { s }
}

/// What the description states about the battery (for the ground-truth table).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BatteryStatement {
    pub capacity_stated: bool,
    pub soh_stated: bool,
}

pub struct DescriptionInput<'a> {
    pub lang: Lang,
    pub powertrain: Powertrain,
    pub colour: &'a str,
    pub mileage_km: i32,
    pub year: i32,
    pub dealer: bool,
    pub battery_kwh: Option<f64>,
    pub soh_pct: Option<f64>,
}

fn pick<'a, R: Rng>(rng: &mut R, xs: &[&'a str]) -> &'a str {
    xs[rng.gen_range(0..xs.len())]
}

fn capacity_phrase<R: Rng>(rng: &mut R, lang: Lang, kwh: f64) -> String {
    let n = fmt_num(kwh, lang, true);
    let spaced = if rng.gen_bool(0.7) { " " } else { "" };
    let net = if rng.gen_bool(0.15) {
        match lang {
            Lang::De => " (netto)",
            Lang::Fr => " (utile)",
            Lang::Nl => " (netto)",
            Lang::Es => " (útil)",
            Lang::It => " (utile)",
            Lang::Pl => " (netto)",
            Lang::En => " (usable)",
        }
    } else {
        ""
    };
    let unit = pick(rng, &["kWh", "kWh", "kWh", "KWH", "kwh"]);
    let forms: &[&str] = match lang {
        Lang::En => &["Battery: {n}{s}{u}{net}.", "{n}{s}{u} battery{net}.", "Battery capacity {n}{s}{u}{net}."],
        Lang::De => &["Akku: {n}{s}{u}{net}.", "Batteriekapazität {n}{s}{u}{net}.", "Batterie mit {n}{s}{u}{net}."],
        Lang::Fr => &["Batterie {n}{s}{u}{net}.", "Capacité batterie : {n}{s}{u}{net}.", "Batterie de {n}{s}{u}{net}."],
        Lang::Nl => &["Accu {n}{s}{u}{net}.", "Batterijcapaciteit {n}{s}{u}{net}.", "Batterij: {n}{s}{u}{net}."],
        Lang::Es => &["Batería de {n}{s}{u}{net}.", "Capacidad de batería {n}{s}{u}{net}."],
        Lang::It => &["Batteria da {n}{s}{u}{net}.", "Capacità batteria {n}{s}{u}{net}."],
        Lang::Pl => &["Bateria {n}{s}{u}{net}.", "Pojemność baterii {n}{s}{u}{net}."],
    };
    pick(rng, forms).replace("{n}", &n).replace("{s}", spaced).replace("{u}", unit).replace("{net}", net)
}

fn soh_phrase<R: Rng>(rng: &mut R, lang: Lang, soh: f64) -> String {
    let n = fmt_num(soh, lang, true);
    let pct = if rng.gen_bool(0.6) { " %" } else { "%" };
    let forms: &[&str] = match lang {
        Lang::En => &["SoH {n}{p}.", "Battery health {n}{p}.", "State of health: {n}{p}."],
        Lang::De => &["SoH {n}{p}.", "Batteriezustand {n}{p}.", "Akku-Gesundheit (SOH): {n}{p}."],
        Lang::Fr => &["SoH {n}{p}.", "État de santé de la batterie : {n}{p}."],
        Lang::Nl => &["SoH {n}{p}.", "Batterijgezondheid {n}{p}."],
        Lang::Es => &["SoH {n}{p}.", "Salud de la batería {n}{p}."],
        Lang::It => &["SoH {n}{p}.", "Stato di salute batteria {n}{p}."],
        Lang::Pl => &["SoH {n}{p}.", "Kondycja baterii {n}{p}."],
    };
    pick(rng, forms).replace("{n}", &n).replace("{p}", pct)
}

fn distractor<R: Rng>(rng: &mut R, lang: Lang) -> String {
    let kw = pick(rng, &["7,4", "11", "22"]);
    let dc = pick(rng, &["50", "100", "125", "150"]);
    let range = rng.gen_range(18..=55) * 10;
    let forms: &[&str] = match lang {
        Lang::En => &["On-board charger {kw} kW.", "DC fast charging up to {dc} kW.", "Range approx. {r} km."],
        Lang::De => &["Onboard-Lader {kw} kW.", "Schnellladen bis {dc} kW.", "Reichweite ca. {r} km."],
        Lang::Fr => &["Chargeur embarqué {kw} kW.", "Recharge rapide jusqu'à {dc} kW.", "Autonomie environ {r} km."],
        Lang::Nl => &["Boordlader {kw} kW.", "Snelladen tot {dc} kW.", "Actieradius ca. {r} km."],
        Lang::Es => &["Cargador de {kw} kW.", "Carga rápida hasta {dc} kW.", "Autonomía aprox. {r} km."],
        Lang::It => &["Caricatore di bordo {kw} kW.", "Ricarica rapida fino a {dc} kW.", "Autonomia circa {r} km."],
        Lang::Pl => &["Ładowarka pokładowa {kw} kW.", "Szybkie ładowanie do {dc} kW.", "Zasięg ok. {r} km."],
    };
    pick(rng, forms).replace("{kw}", kw).replace("{dc}", dc).replace("{r}", &range.to_string())
}

fn colour_word(lang: Lang, colour: &str) -> String {
    let table: &[(&str, [&str; 6])] = &[
        ("black", ["schwarz", "noir", "zwart", "negro", "nero", "czarny"]),
        ("white", ["weiß", "blanc", "wit", "blanco", "bianco", "biały"]),
        ("silver", ["silber", "argent", "zilver", "plata", "argento", "srebrny"]),
        ("grey", ["grau", "gris", "grijs", "gris", "grigio", "szary"]),
        ("blue", ["blau", "bleu", "blauw", "azul", "blu", "niebieski"]),
        ("red", ["rot", "rouge", "rood", "rojo", "rosso", "czerwony"]),
        ("green", ["grün", "vert", "groen", "verde", "verde", "zielony"]),
        ("brown", ["braun", "marron", "bruin", "marrón", "marrone", "brązowy"]),
        ("beige", ["beige", "beige", "beige", "beige", "beige", "beżowy"]),
        ("yellow", ["gelb", "jaune", "geel", "amarillo", "giallo", "żółty"]),
    ];
    let idx = match lang {
        Lang::En => return colour.to_string(),
        Lang::De => 0,
        Lang::Fr => 1,
        Lang::Nl => 2,
        Lang::Es => 3,
        Lang::It => 4,
        Lang::Pl => 5,
    };
    table.iter().find(|(c, _)| *c == colour).map(|(_, w)| w[idx].to_string()).unwrap_or_else(|| colour.to_string())
}

/// Builds a description; returns it with what it states about the battery.
pub fn description<R: Rng>(rng: &mut R, d: &DescriptionInput) -> (String, BatteryStatement) {
    let mut parts: Vec<String> = Vec::with_capacity(6);
    let km = d.mileage_km.to_string();
    let colour = colour_word(d.lang, d.colour);
    let opener = match d.lang {
        Lang::En => format!("{colour}, first registered {y}, {km} km.", y = d.year),
        Lang::De => format!("Farbe {colour}, Erstzulassung {y}, {km} km.", y = d.year),
        Lang::Fr => format!("Couleur {colour}, mise en circulation {y}, {km} km.", y = d.year),
        Lang::Nl => format!("Kleur {colour}, bouwjaar {y}, {km} km.", y = d.year),
        Lang::Es => format!("Color {colour}, matriculado en {y}, {km} km.", y = d.year),
        Lang::It => format!("Colore {colour}, immatricolata nel {y}, {km} km.", y = d.year),
        Lang::Pl => format!("Kolor {colour}, rok produkcji {y}, przebieg {km} km.", y = d.year),
    };
    parts.push(opener);
    let mut stmt = BatteryStatement::default();
    if d.powertrain == Powertrain::Ev {
        if let Some(kwh) = d.battery_kwh {
            if rng.gen_bool(0.7) {
                parts.push(capacity_phrase(rng, d.lang, kwh));
                stmt.capacity_stated = true;
            }
        }
        if let Some(soh) = d.soh_pct {
            if rng.gen_bool(0.5) {
                parts.push(soh_phrase(rng, d.lang, soh));
                stmt.soh_stated = true;
            }
        }
        if rng.gen_bool(0.45) {
            parts.push(distractor(rng, d.lang));
        }
    }
    let closing: &[&str] = match (d.lang, d.dealer) {
        (Lang::En, true) => &["Full service history. Warranty available.", "Dealer maintained, financing possible."],
        (Lang::En, false) => &["Non-smoker, garage kept.", "Private sale, no trade-ins."],
        (Lang::De, true) => &["Scheckheftgepflegt, Garantie möglich.", "Finanzierung möglich."],
        (Lang::De, false) => &["Nichtraucherfahrzeug, Garagenwagen.", "Privatverkauf, keine Garantie."],
        (Lang::Fr, true) => &["Carnet d'entretien à jour, garantie 12 mois.", "Financement possible."],
        (Lang::Fr, false) => &["Non fumeur, dort au garage.", "Vente entre particuliers."],
        (Lang::Nl, true) => &["Dealeronderhouden, garantie mogelijk.", "Financiering mogelijk."],
        (Lang::Nl, false) => &["Niet-roker, altijd binnen gestald.", "Particuliere verkoop."],
        (Lang::Es, true) => &["Libro de mantenimiento al día, garantía.", "Financiación disponible."],
        (Lang::Es, false) => &["No fumador, siempre en garaje.", "Venta de particular."],
        (Lang::It, true) => &["Tagliandi certificati, garanzia.", "Finanziamento possibile."],
        (Lang::It, false) => &["Non fumatore, sempre in garage.", "Vendita da privato."],
        (Lang::Pl, true) => &["Serwisowany w ASO, gwarancja.", "Możliwość finansowania."],
        (Lang::Pl, false) => &["Niepalący, garażowany.", "Sprzedaż prywatna."],
    };
    parts.push(pick(rng, closing).to_string());
    (parts.join(" "), stmt)
}

#[cfg(test)]
#[path = "text_test.rs"]
mod tests;
