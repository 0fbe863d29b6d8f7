//! Great-circle distances for the geo store: the haversine distance on a sphere of the Earth's
//! mean radius, and the nearest of a set of points. Pure Rust; the SQL wrappers are in mod.rs.

/// Mean Earth radius (IUGG), km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Haversine distance in km between two points given in degrees.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((lon2 - lon1).to_radians() / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Index (0-based) of the point nearest to (lat, lon); the first of equally near ones. None when
/// there are no points or the coordinates are not finite.
pub fn nearest(lat: f64, lon: f64, lats: &[f64], lons: &[f64]) -> Option<usize> {
    if !lat.is_finite() || !lon.is_finite() {
        return None;
    }
    let mut best: Option<(usize, f64)> = None;
    for (i, (&la, &lo)) in lats.iter().zip(lons).enumerate() {
        let d = haversine_km(lat, lon, la, lo);
        if d.is_finite() && best.is_none_or(|(_, b)| d < b) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
#[path = "geo_test.rs"]
mod tests;
