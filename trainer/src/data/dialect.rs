//! CoRal's evaluation groups: the raw `dialect` column holds 34 lower-case
//! sub-dialects, which CoRal's evaluation maps onto ten labels; any speaker born
//! outside Denmark is `Non-native` regardless of dialect
//! (`config/evaluation.yaml::sub_dialect_to_dialect` and `coral/evaluate.py`).

/// Label for speakers born outside Denmark (CoRal's spelling in the evaluation code).
pub const NON_NATIVE: &str = "Non-native";

/// Label for a dialect value outside CoRal's mapping (CoRal itself would raise).
pub const UNKNOWN: &str = "Unknown";

/// `(sub-dialect, group)` exactly as in CoRal's evaluation config.
const SUB_DIALECTS: [(&str, &str); 34] = [
    ("nørrejysk", "Nordjysk"),
    ("vendsysselsk (m. hanherred og læsø)", "Nordjysk"),
    ("himmerlandsk", "Nordjysk"),
    ("vestjysk", "Vestjysk"),
    ("thybomål", "Vestjysk"),
    ("morsingmål", "Vestjysk"),
    ("sydvestjysk (m. fanø)", "Vestjysk"),
    ("sallingmål", "Vestjysk"),
    ("fjandbomål", "Vestjysk"),
    ("midtøstjysk", "Østjysk"),
    ("østjysk", "Østjysk"),
    (
        "djurslandsk (nord-, syddjurs m. nord- og sydsamsø, anholt)",
        "Østjysk",
    ),
    ("sydøstjysk", "Østjysk"),
    ("ommersysselsk", "Østjysk"),
    ("sønderjysk", "Sønderjysk"),
    ("østligt sønderjysk (m. als)", "Sønderjysk"),
    ("vestlig sønderjysk (m. mandø og rømø)", "Sønderjysk"),
    (
        "syd for rigsgrænsen: mellemslesvisk, angelmål, fjoldemål",
        "Sønderjysk",
    ),
    ("fynsk", "Fynsk"),
    ("sydfynsk", "Fynsk"),
    ("vestfynsk (nordvest-, sydvestfynsk)", "Fynsk"),
    ("langelandsk", "Fynsk"),
    ("nordsjællandsk", "Sjællandsk"),
    ("sjællandsk", "Sjællandsk"),
    ("nordvestsjællandsk", "Sjællandsk"),
    ("sydsjællandsk (sydligt sydsjællandsk)", "Sjællandsk"),
    ("østsjællandsk", "Sjællandsk"),
    ("sydvestsjællandsk", "Sjællandsk"),
    ("amagermål", "Københavnsk"),
    ("nordfalstersk", "Sydømål"),
    ("lollandsk", "Sydømål"),
    ("sydømål", "Sydømål"),
    ("sydfalstersk", "Sydømål"),
    ("bornholmsk", "Bornholmsk"),
];

/// All raw sub-dialect names CoRal uses, in CoRal's order.
pub fn sub_dialects() -> impl Iterator<Item = &'static str> {
    SUB_DIALECTS.iter().map(|(sub, _)| *sub)
}

/// The evaluation group for a speaker: `Non-native` if born outside Denmark
/// (`country_birth` set and not `DK`), else the group of the sub-dialect.
#[must_use]
pub fn dialect_group(dialect: Option<&str>, country_birth: Option<&str>) -> &'static str {
    if country_birth.is_some_and(|c| !c.trim().is_empty() && !c.trim().eq_ignore_ascii_case("DK")) {
        return NON_NATIVE;
    }
    let Some(dialect) = dialect else {
        return UNKNOWN;
    };
    let dialect = dialect.trim().to_lowercase();
    SUB_DIALECTS
        .iter()
        .find(|(sub, _)| *sub == dialect)
        .map_or(UNKNOWN, |(_, group)| group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_sub_dialects_and_non_native() {
        assert_eq!(dialect_group(Some("amagermål"), None), "Københavnsk");
        assert_eq!(dialect_group(Some("Lollandsk"), Some("DK")), "Sydømål");
        assert_eq!(dialect_group(Some("fynsk"), Some("SE")), NON_NATIVE);
        assert_eq!(dialect_group(Some("klingon"), None), UNKNOWN);
        assert_eq!(sub_dialects().count(), 34);
    }
}
