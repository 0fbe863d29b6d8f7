//! Hand-written phrasings (positive and negative) for the battery extractor; the generated
//! marketplace's planted truth is checked in sql_test.rs.

use super::*;

/// (text, capacity kWh, state of health %)
const CASES: &[(&str, Option<f64>, Option<f64>)] = &[
    // English
    ("Battery: 77 kWh. SoH 94 %.", Some(77.0), Some(94.0)),
    ("64kWh battery, state of health: 91%", Some(64.0), Some(91.0)),
    ("Battery capacity 42.2 kWh (usable).", Some(42.2), None),
    ("Battery health 88.5 %", None, Some(88.5)),
    ("SOH 100%", None, Some(100.0)),
    ("soh: 97 %", None, Some(97.0)),
    ("On-board charger 11 kW. DC fast charging up to 100 kW.", None, None),
    ("Range approx. 400 km, 75 kWh battery", Some(75.0), None),
    ("Consumption 15.8 kWh/100 km", None, None),
    ("Charger 7.4 kW, battery 50 kWh", Some(50.0), None),
    ("82 kWh gross, 77 kWh net", Some(82.0), None),
    ("Battery 58/62 kWh", Some(62.0), None),
    ("Battery health checked: 93% remaining", None, Some(93.0)),
    ("Financing from 3.9% APR", None, None),
    ("10-80% in 30 minutes at a fast charger", None, None),
    ("First owner, 12000 km, full service history", None, None),
    ("Battery 95 % charged, range 380 km", None, None),
    ("Motor 150 kW, battery 77 kWh", Some(77.0), None),
    ("Tesla Model 3 Long Range 2021", None, None),
    ("Price reduced by 10%", None, None),
    // German
    ("Akku: 58 kWh, SoH 96 %.", Some(58.0), Some(96.0)),
    ("Batteriekapazität 42,2 kWh (netto).", Some(42.2), None),
    ("Batterie mit 77 KWH. Batteriezustand 93%", Some(77.0), Some(93.0)),
    ("Akku-Gesundheit (SOH): 89,5 %", None, Some(89.5)),
    ("Onboard-Lader 11 kW. Schnellladen bis 125 kW.", None, None),
    ("Verbrauch 16,5 kWh/100 km kombiniert", None, None),
    ("Ladeleistung 50 kW, Reichweite ca. 300 km", None, None),
    ("Restkapazität 91 %", None, Some(91.0)),
    ("Akkuzustand 87%", None, Some(87.0)),
    ("Finanzierung ab 2,99 % effektiv", None, None),
    ("Scheckheftgepflegt, Nichtraucher, 2 Hand", None, None),
    ("64 kWh Akku, Wallbox 11 kW inklusive", Some(64.0), None),
    // French
    ("Batterie 52 kWh, état de santé 95 %", Some(52.0), Some(95.0)),
    ("Capacité batterie : 41 kWh.", Some(41.0), None),
    ("Batterie de 50 kWh (utile).", Some(50.0), None),
    ("État de santé de la batterie : 90,5 %", None, Some(90.5)),
    ("Chargeur embarqué 7,4 kW. Recharge rapide jusqu'à 100 kW.", None, None),
    ("SoH 98 % certifié", None, Some(98.0)),
    ("Autonomie environ 300 km", None, None),
    ("Garantie 12 mois, TVA récupérable 20 %", None, None),
    // Dutch
    ("Accu 62 kWh, SoH 92%.", Some(62.0), Some(92.0)),
    ("Batterijcapaciteit 39,2 kWh", Some(39.2), None),
    ("Batterij: 82 kWh (netto)", Some(82.0), None),
    ("Batterijgezondheid 94 %", None, Some(94.0)),
    ("Boordlader 11 kW. Snelladen tot 150 kW.", None, None),
    ("Actieradius ca. 420 km", None, None),
    // Spanish
    ("Batería de 64 kWh, salud de la batería 93%.", Some(64.0), Some(93.0)),
    ("Capacidad de batería 52 kWh (útil).", Some(52.0), None),
    ("Estado de salud 90 %", None, Some(90.0)),
    ("Cargador de 22 kW. Carga rápida hasta 50 kW.", None, None),
    ("IVA deducible 21%", None, None),
    // Italian
    ("Batteria da 42 kWh. Stato di salute batteria 97 %.", Some(42.0), Some(97.0)),
    ("Capacità batteria 77 kWh", Some(77.0), None),
    ("Caricatore di bordo 11 kW. Ricarica rapida fino a 100 kW.", None, None),
    ("SoH 86%", None, Some(86.0)),
    ("Autonomia circa 350 km", None, None),
    // Polish
    ("Bateria 58 kWh, SoH 95%.", Some(58.0), Some(95.0)),
    ("Pojemność baterii 75 kWh (netto).", Some(75.0), None),
    ("Kondycja baterii 92,5 %", None, Some(92.5)),
    ("Ładowarka pokładowa 11 kW. Szybkie ładowanie do 125 kW.", None, None),
    ("Zasięg ok. 450 km", None, None),
    // implausible values are not read
    ("Battery 1200 kWh", None, None),
    ("SoH 45%", None, None),
    ("", None, None),
];

#[test]
fn hand_written_phrasings() {
    assert!(CASES.len() >= 60);
    let mut wrong = Vec::new();
    for (text, cap, soh) in CASES {
        let b = extract(text);
        let got = (b.capacity_kwh.map(|f| f.value), b.soh_pct.map(|f| f.value));
        if got != (*cap, *soh) {
            wrong.push(format!("{text:?}: got {got:?}, want {:?}", (cap, soh)));
        }
    }
    assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

#[test]
fn spans_point_at_the_evidence() {
    let text = "Akku: 58 kWh, SoH 96 %.";
    let b = extract(text);
    let (c, s) = (b.capacity_kwh.unwrap().span, b.soh_pct.unwrap().span);
    assert_eq!((&text[c.0..c.1], &text[s.0..s.1]), ("58 kWh", "96 %"));
}

#[test]
fn unicode_never_splits_a_character() {
    for t in ["ŁŁŁŁŁŁŁŁŁŁŁŁŁŁŁ 5 kWh ąąąąąąąąąąąąąąąąąąąąąąą 90 % żżżż", "İİİİ 77 kWh SoH 90 %", "ładowanie 80 % kondycja"] {
        let _ = extract(t);
    }
}
