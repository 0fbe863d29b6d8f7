//! Static reference data for the synthetic marketplace: regions, large cities, and a vehicle
//! catalogue. Numbers are plausible EU-market values, not measurements; they only need to be
//! stable (the generator is deterministic per seed) and give models a real signal.

/// A region with its centroid, the language its listings are written in, and base socio data.
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
    pub country: &'static str,
    pub lang: Lang,
    pub lat: f64,
    pub lon: f64,
    pub population: i32,
    pub median_income_eur: i32,
    pub unemployment_pct: f64,
    pub cars_per_1000: i32,
    /// Relative demand: scales the sale hazard of listings in this region.
    pub demand: f64,
    /// Relative share of listings placed in this region.
    pub weight: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
    Nl,
    Es,
    It,
    Pl,
}

pub struct City {
    pub name: &'static str,
    pub region: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub population: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Powertrain {
    Petrol,
    Diesel,
    Hybrid,
    Phev,
    Ev,
}

impl Powertrain {
    pub fn as_str(self) -> &'static str {
        match self {
            Powertrain::Petrol => "petrol",
            Powertrain::Diesel => "diesel",
            Powertrain::Hybrid => "hybrid",
            Powertrain::Phev => "phev",
            Powertrain::Ev => "ev",
        }
    }
}

pub struct Model {
    pub make: &'static str,
    pub model: &'static str,
    pub segment: &'static str,
    pub body: &'static str,
    /// Typical new price in EUR.
    pub new_price: f64,
    pub powertrains: &'static [Powertrain],
    /// Gross battery capacities (kWh) of the EV variants, empty for combustion-only models.
    pub battery_kwh: &'static [f64],
    pub first_year: i32,
    pub weight: f64,
}

use Lang::*;
use Powertrain::*;

pub static REGIONS: &[Region] = &[
    Region { code: "DE-BY", name: "Bayern", country: "DE", lang: De, lat: 48.79, lon: 11.50, population: 13_176_000, median_income_eur: 29_800, unemployment_pct: 3.4, cars_per_1000: 620, demand: 1.10, weight: 9.0 },
    Region { code: "DE-NW", name: "Nordrhein-Westfalen", country: "DE", lang: De, lat: 51.43, lon: 7.66, population: 17_925_000, median_income_eur: 26_400, unemployment_pct: 6.8, cars_per_1000: 580, demand: 1.00, weight: 11.0 },
    Region { code: "DE-BE", name: "Berlin", country: "DE", lang: De, lat: 52.52, lon: 13.40, population: 3_755_000, median_income_eur: 25_900, unemployment_pct: 8.8, cars_per_1000: 340, demand: 0.90, weight: 4.0 },
    Region { code: "AT-9", name: "Wien", country: "AT", lang: De, lat: 48.21, lon: 16.37, population: 1_982_000, median_income_eur: 27_100, unemployment_pct: 10.5, cars_per_1000: 370, demand: 0.95, weight: 2.5 },
    Region { code: "FR-IDF", name: "Île-de-France", country: "FR", lang: Fr, lat: 48.85, lon: 2.35, population: 12_271_000, median_income_eur: 26_100, unemployment_pct: 7.4, cars_per_1000: 410, demand: 1.00, weight: 7.0 },
    Region { code: "FR-ARA", name: "Auvergne-Rhône-Alpes", country: "FR", lang: Fr, lat: 45.45, lon: 4.39, population: 8_114_000, median_income_eur: 23_400, unemployment_pct: 6.5, cars_per_1000: 590, demand: 1.05, weight: 5.0 },
    Region { code: "FR-PAC", name: "Provence-Alpes-Côte d'Azur", country: "FR", lang: Fr, lat: 43.93, lon: 6.07, population: 5_127_000, median_income_eur: 22_100, unemployment_pct: 8.9, cars_per_1000: 560, demand: 0.95, weight: 3.5 },
    Region { code: "NL-NH", name: "Noord-Holland", country: "NL", lang: Nl, lat: 52.52, lon: 4.79, population: 2_952_000, median_income_eur: 30_200, unemployment_pct: 3.6, cars_per_1000: 440, demand: 1.10, weight: 3.0 },
    Region { code: "NL-ZH", name: "Zuid-Holland", country: "NL", lang: Nl, lat: 52.02, lon: 4.49, population: 3_804_000, median_income_eur: 28_700, unemployment_pct: 4.0, cars_per_1000: 460, demand: 1.05, weight: 3.5 },
    Region { code: "BE-VLG", name: "Vlaanderen", country: "BE", lang: Nl, lat: 51.05, lon: 4.10, population: 6_774_000, median_income_eur: 27_600, unemployment_pct: 3.9, cars_per_1000: 530, demand: 1.00, weight: 3.5 },
    Region { code: "ES-MD", name: "Comunidad de Madrid", country: "ES", lang: Es, lat: 40.42, lon: -3.70, population: 6_871_000, median_income_eur: 21_500, unemployment_pct: 10.4, cars_per_1000: 500, demand: 1.00, weight: 5.0 },
    Region { code: "ES-CT", name: "Cataluña", country: "ES", lang: Es, lat: 41.82, lon: 1.87, population: 7_901_000, median_income_eur: 20_900, unemployment_pct: 9.1, cars_per_1000: 490, demand: 0.95, weight: 5.0 },
    Region { code: "ES-AN", name: "Andalucía", country: "ES", lang: Es, lat: 37.39, lon: -5.98, population: 8_500_000, median_income_eur: 15_800, unemployment_pct: 18.0, cars_per_1000: 470, demand: 0.85, weight: 4.5 },
    Region { code: "IT-25", name: "Lombardia", country: "IT", lang: It, lat: 45.58, lon: 9.77, population: 10_020_000, median_income_eur: 24_300, unemployment_pct: 4.9, cars_per_1000: 640, demand: 1.05, weight: 6.0 },
    Region { code: "IT-62", name: "Lazio", country: "IT", lang: It, lat: 41.90, lon: 12.50, population: 5_715_000, median_income_eur: 21_900, unemployment_pct: 8.6, cars_per_1000: 660, demand: 0.95, weight: 4.0 },
    Region { code: "IT-72", name: "Campania", country: "IT", lang: It, lat: 40.85, lon: 14.27, population: 5_590_000, median_income_eur: 15_200, unemployment_pct: 17.4, cars_per_1000: 620, demand: 0.80, weight: 3.5 },
    Region { code: "PL-MZ", name: "Mazowieckie", country: "PL", lang: Pl, lat: 52.23, lon: 21.01, population: 5_512_000, median_income_eur: 14_900, unemployment_pct: 3.0, cars_per_1000: 720, demand: 1.00, weight: 4.0 },
    Region { code: "PL-SL", name: "Śląskie", country: "PL", lang: Pl, lat: 50.26, lon: 19.02, population: 4_375_000, median_income_eur: 12_800, unemployment_pct: 3.6, cars_per_1000: 650, demand: 0.90, weight: 3.0 },
    Region { code: "IE-D", name: "Dublin", country: "IE", lang: En, lat: 53.35, lon: -6.26, population: 1_458_000, median_income_eur: 31_500, unemployment_pct: 4.5, cars_per_1000: 450, demand: 1.05, weight: 2.0 },
    Region { code: "MT-00", name: "Malta", country: "MT", lang: En, lat: 35.90, lon: 14.51, population: 542_000, median_income_eur: 19_800, unemployment_pct: 2.9, cars_per_1000: 700, demand: 0.90, weight: 1.0 },
];

pub static CITIES: &[City] = &[
    City { name: "München", region: "DE-BY", lat: 48.137, lon: 11.575, population: 1_512_000 },
    City { name: "Nürnberg", region: "DE-BY", lat: 49.452, lon: 11.077, population: 523_000 },
    City { name: "Köln", region: "DE-NW", lat: 50.938, lon: 6.960, population: 1_084_000 },
    City { name: "Düsseldorf", region: "DE-NW", lat: 51.227, lon: 6.773, population: 629_000 },
    City { name: "Dortmund", region: "DE-NW", lat: 51.514, lon: 7.468, population: 595_000 },
    City { name: "Berlin", region: "DE-BE", lat: 52.520, lon: 13.405, population: 3_755_000 },
    City { name: "Wien", region: "AT-9", lat: 48.208, lon: 16.373, population: 1_982_000 },
    City { name: "Paris", region: "FR-IDF", lat: 48.857, lon: 2.352, population: 2_103_000 },
    City { name: "Lyon", region: "FR-ARA", lat: 45.764, lon: 4.836, population: 522_000 },
    City { name: "Marseille", region: "FR-PAC", lat: 43.296, lon: 5.370, population: 873_000 },
    City { name: "Nice", region: "FR-PAC", lat: 43.710, lon: 7.262, population: 343_000 },
    City { name: "Amsterdam", region: "NL-NH", lat: 52.370, lon: 4.895, population: 921_000 },
    City { name: "Rotterdam", region: "NL-ZH", lat: 51.924, lon: 4.478, population: 664_000 },
    City { name: "Den Haag", region: "NL-ZH", lat: 52.070, lon: 4.300, population: 559_000 },
    City { name: "Antwerpen", region: "BE-VLG", lat: 51.219, lon: 4.402, population: 536_000 },
    City { name: "Gent", region: "BE-VLG", lat: 51.054, lon: 3.717, population: 265_000 },
    City { name: "Madrid", region: "ES-MD", lat: 40.417, lon: -3.704, population: 3_332_000 },
    City { name: "Barcelona", region: "ES-CT", lat: 41.385, lon: 2.173, population: 1_636_000 },
    City { name: "Sevilla", region: "ES-AN", lat: 37.389, lon: -5.984, population: 684_000 },
    City { name: "Málaga", region: "ES-AN", lat: 36.721, lon: -4.421, population: 579_000 },
    City { name: "Milano", region: "IT-25", lat: 45.464, lon: 9.190, population: 1_371_000 },
    City { name: "Roma", region: "IT-62", lat: 41.903, lon: 12.496, population: 2_750_000 },
    City { name: "Napoli", region: "IT-72", lat: 40.852, lon: 14.268, population: 914_000 },
    City { name: "Warszawa", region: "PL-MZ", lat: 52.230, lon: 21.011, population: 1_861_000 },
    City { name: "Katowice", region: "PL-SL", lat: 50.265, lon: 19.024, population: 286_000 },
    City { name: "Dublin", region: "IE-D", lat: 53.350, lon: -6.260, population: 592_000 },
    City { name: "Valletta", region: "MT-00", lat: 35.899, lon: 14.514, population: 6_000 },
];

const ICE: &[Powertrain] = &[Petrol, Diesel];
const ICE_HYB: &[Powertrain] = &[Petrol, Diesel, Hybrid];
const PETROL_HYB: &[Powertrain] = &[Petrol, Hybrid];
const ALL_PT: &[Powertrain] = &[Petrol, Diesel, Phev];
const EV_ONLY: &[Powertrain] = &[Ev];

pub static MODELS: &[Model] = &[
    Model { make: "Volkswagen", model: "Golf", segment: "compact", body: "hatchback", new_price: 32_000.0, powertrains: ICE_HYB, battery_kwh: &[], first_year: 2009, weight: 8.0 },
    Model { make: "Volkswagen", model: "Polo", segment: "small", body: "hatchback", new_price: 22_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2009, weight: 5.0 },
    Model { make: "Volkswagen", model: "Passat", segment: "midsize", body: "estate", new_price: 42_000.0, powertrains: ALL_PT, battery_kwh: &[], first_year: 2010, weight: 4.0 },
    Model { make: "Volkswagen", model: "ID.3", segment: "compact", body: "hatchback", new_price: 38_000.0, powertrains: EV_ONLY, battery_kwh: &[45.0, 58.0, 77.0], first_year: 2020, weight: 3.0 },
    Model { make: "Volkswagen", model: "ID.4", segment: "suv", body: "suv", new_price: 46_000.0, powertrains: EV_ONLY, battery_kwh: &[52.0, 77.0], first_year: 2021, weight: 2.5 },
    Model { make: "BMW", model: "3er", segment: "midsize", body: "sedan", new_price: 48_000.0, powertrains: ALL_PT, battery_kwh: &[], first_year: 2009, weight: 4.5 },
    Model { make: "BMW", model: "X1", segment: "suv", body: "suv", new_price: 45_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2010, weight: 3.0 },
    Model { make: "BMW", model: "i3", segment: "small", body: "hatchback", new_price: 39_000.0, powertrains: EV_ONLY, battery_kwh: &[22.0, 33.0, 42.2], first_year: 2014, weight: 1.5 },
    Model { make: "Mercedes-Benz", model: "C-Klasse", segment: "midsize", body: "sedan", new_price: 50_000.0, powertrains: ALL_PT, battery_kwh: &[], first_year: 2009, weight: 4.5 },
    Model { make: "Mercedes-Benz", model: "A-Klasse", segment: "compact", body: "hatchback", new_price: 36_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2012, weight: 3.5 },
    Model { make: "Audi", model: "A4", segment: "midsize", body: "estate", new_price: 47_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2009, weight: 4.0 },
    Model { make: "Audi", model: "Q4 e-tron", segment: "suv", body: "suv", new_price: 52_000.0, powertrains: EV_ONLY, battery_kwh: &[55.0, 82.0], first_year: 2021, weight: 1.5 },
    Model { make: "Opel", model: "Corsa", segment: "small", body: "hatchback", new_price: 20_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2009, weight: 5.0 },
    Model { make: "Opel", model: "Astra", segment: "compact", body: "hatchback", new_price: 27_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2009, weight: 4.0 },
    Model { make: "Ford", model: "Fiesta", segment: "small", body: "hatchback", new_price: 19_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2009, weight: 4.5 },
    Model { make: "Ford", model: "Focus", segment: "compact", body: "hatchback", new_price: 27_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2009, weight: 4.5 },
    Model { make: "Ford", model: "Mustang Mach-E", segment: "suv", body: "suv", new_price: 55_000.0, powertrains: EV_ONLY, battery_kwh: &[75.0, 98.0], first_year: 2021, weight: 1.0 },
    Model { make: "Renault", model: "Clio", segment: "small", body: "hatchback", new_price: 19_500.0, powertrains: PETROL_HYB, battery_kwh: &[], first_year: 2009, weight: 5.5 },
    Model { make: "Renault", model: "Mégane", segment: "compact", body: "hatchback", new_price: 27_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2009, weight: 3.5 },
    Model { make: "Renault", model: "Zoe", segment: "small", body: "hatchback", new_price: 33_000.0, powertrains: EV_ONLY, battery_kwh: &[22.0, 41.0, 52.0], first_year: 2013, weight: 3.0 },
    Model { make: "Peugeot", model: "208", segment: "small", body: "hatchback", new_price: 21_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2012, weight: 5.0 },
    Model { make: "Peugeot", model: "3008", segment: "suv", body: "suv", new_price: 35_000.0, powertrains: ALL_PT, battery_kwh: &[], first_year: 2010, weight: 3.5 },
    Model { make: "Peugeot", model: "e-208", segment: "small", body: "hatchback", new_price: 34_000.0, powertrains: EV_ONLY, battery_kwh: &[50.0, 51.0], first_year: 2020, weight: 1.5 },
    Model { make: "Citroën", model: "C3", segment: "small", body: "hatchback", new_price: 18_500.0, powertrains: ICE, battery_kwh: &[], first_year: 2010, weight: 3.5 },
    Model { make: "Fiat", model: "500", segment: "mini", body: "hatchback", new_price: 17_000.0, powertrains: PETROL_HYB, battery_kwh: &[], first_year: 2009, weight: 4.5 },
    Model { make: "Fiat", model: "Panda", segment: "mini", body: "hatchback", new_price: 15_000.0, powertrains: PETROL_HYB, battery_kwh: &[], first_year: 2009, weight: 4.5 },
    Model { make: "Fiat", model: "500e", segment: "mini", body: "hatchback", new_price: 30_000.0, powertrains: EV_ONLY, battery_kwh: &[24.0, 42.0], first_year: 2020, weight: 1.2 },
    Model { make: "Toyota", model: "Yaris", segment: "small", body: "hatchback", new_price: 21_000.0, powertrains: PETROL_HYB, battery_kwh: &[], first_year: 2009, weight: 4.0 },
    Model { make: "Toyota", model: "Corolla", segment: "compact", body: "hatchback", new_price: 29_000.0, powertrains: PETROL_HYB, battery_kwh: &[], first_year: 2010, weight: 3.5 },
    Model { make: "Toyota", model: "RAV4", segment: "suv", body: "suv", new_price: 40_000.0, powertrains: &[Hybrid, Phev], battery_kwh: &[], first_year: 2013, weight: 3.0 },
    Model { make: "Škoda", model: "Octavia", segment: "compact", body: "estate", new_price: 30_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2009, weight: 5.5 },
    Model { make: "Škoda", model: "Enyaq", segment: "suv", body: "suv", new_price: 45_000.0, powertrains: EV_ONLY, battery_kwh: &[62.0, 82.0], first_year: 2021, weight: 2.0 },
    Model { make: "Seat", model: "Ibiza", segment: "small", body: "hatchback", new_price: 19_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2009, weight: 3.5 },
    Model { make: "Dacia", model: "Sandero", segment: "small", body: "hatchback", new_price: 14_000.0, powertrains: ICE, battery_kwh: &[], first_year: 2009, weight: 4.0 },
    Model { make: "Dacia", model: "Spring", segment: "mini", body: "hatchback", new_price: 20_000.0, powertrains: EV_ONLY, battery_kwh: &[26.8], first_year: 2021, weight: 1.2 },
    Model { make: "Hyundai", model: "Kona", segment: "suv", body: "suv", new_price: 30_000.0, powertrains: &[Petrol, Hybrid, Ev], battery_kwh: &[39.2, 64.0], first_year: 2018, weight: 2.5 },
    Model { make: "Kia", model: "Niro", segment: "suv", body: "suv", new_price: 33_000.0, powertrains: &[Hybrid, Phev, Ev], battery_kwh: &[64.0, 64.8], first_year: 2017, weight: 2.0 },
    Model { make: "Nissan", model: "Leaf", segment: "compact", body: "hatchback", new_price: 32_000.0, powertrains: EV_ONLY, battery_kwh: &[24.0, 30.0, 40.0, 62.0], first_year: 2011, weight: 2.5 },
    Model { make: "Tesla", model: "Model 3", segment: "midsize", body: "sedan", new_price: 45_000.0, powertrains: EV_ONLY, battery_kwh: &[60.0, 75.0, 82.0], first_year: 2019, weight: 4.0 },
    Model { make: "Tesla", model: "Model Y", segment: "suv", body: "suv", new_price: 50_000.0, powertrains: EV_ONLY, battery_kwh: &[60.0, 75.0], first_year: 2021, weight: 3.0 },
    Model { make: "Volvo", model: "XC60", segment: "suv", body: "suv", new_price: 55_000.0, powertrains: ALL_PT, battery_kwh: &[], first_year: 2009, weight: 2.5 },
];

pub const SOURCES: &[&str] = &["autoplaza", "carmarkt", "voiture-direct"];

pub const COLOURS: &[&str] = &["black", "white", "silver", "grey", "blue", "red", "green", "brown", "beige", "yellow"];

#[cfg(test)]
#[path = "catalog_test.rs"]
mod tests;
