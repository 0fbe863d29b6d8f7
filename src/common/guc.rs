//! spine's settings (GUCs). Registered in `_PG_init`; the README's GUC table lists them.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

/// End of the demo generator's horizon (a timestamptz literal); empty = today, 00:00 UTC.
pub static DEMO_ANCHOR: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

pub fn init() {
    GucRegistry::define_string_guc(
        c"spine.demo_anchor",
        c"End of the synthetic marketplace's horizon (timestamptz); empty means today at 00:00 UTC.",
        c"spine.generate_demo_data observes listings in [anchor - days, anchor). Fix it to make generated data independent of the day it is generated on.",
        &DEMO_ANCHOR,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// The setting as text, `None` when unset or empty.
pub fn string(setting: &GucSetting<Option<CString>>) -> Option<String> {
    setting.get().and_then(|c| c.into_string().ok()).filter(|s| !s.trim().is_empty())
}
