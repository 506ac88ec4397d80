//! Speaker metadata → CoRal's evaluation groups, and the group combinations CoRal's
//! `get_score_df` scores.
//!
//! Dialect labels follow `config/evaluation.yaml` (`sub_dialect_to_dialect`, 34 keys → 9
//! regional labels) plus `Non-native` for anyone with a `country_birth` other than "DK",
//! which overrides the dialect (`convert_evaluation_dataset_to_df`). Age groups are
//! [0, 25), [25, 50), [50, ∞): CoRal's evaluation code uses (0,25), (26,50), (50,None),
//! which leaves age 25 in no group and makes `next()` raise; we close that gap.

use std::collections::BTreeMap;

use serde::Serialize;

/// `sub_dialect_to_dialect` from CoRal's `config/evaluation.yaml` (alexandrainst/coral @
/// 30300baa), in file order.
pub const SUB_DIALECT_TO_DIALECT: &[(&str, &str)] = &[
    ("midtøstjysk", "Østjysk"),
    ("østjysk", "Østjysk"),
    ("amagermål", "Københavnsk"),
    ("nørrejysk", "Nordjysk"),
    ("vestjysk", "Vestjysk"),
    ("nordsjællandsk", "Sjællandsk"),
    ("sjællandsk", "Sjællandsk"),
    ("fynsk", "Fynsk"),
    ("bornholmsk", "Bornholmsk"),
    ("sønderjysk", "Sønderjysk"),
    ("vendsysselsk (m. hanherred og læsø)", "Nordjysk"),
    ("østligt sønderjysk (m. als)", "Sønderjysk"),
    ("nordvestsjællandsk", "Sjællandsk"),
    ("thybomål", "Vestjysk"),
    ("himmerlandsk", "Nordjysk"),
    (
        "djurslandsk (nord-, syddjurs m. nord- og sydsamsø, anholt)",
        "Østjysk",
    ),
    ("sydsjællandsk (sydligt sydsjællandsk)", "Sjællandsk"),
    ("sydfynsk", "Fynsk"),
    ("morsingmål", "Vestjysk"),
    ("sydøstjysk", "Østjysk"),
    ("østsjællandsk", "Sjællandsk"),
    (
        "syd for rigsgrænsen: mellemslesvisk, angelmål, fjoldemål",
        "Sønderjysk",
    ),
    ("vestfynsk (nordvest-, sydvestfynsk)", "Fynsk"),
    ("vestlig sønderjysk (m. mandø og rømø)", "Sønderjysk"),
    ("sydvestjysk (m. fanø)", "Vestjysk"),
    ("sallingmål", "Vestjysk"),
    ("nordfalstersk", "Sydømål"),
    ("langelandsk", "Fynsk"),
    ("sydvestsjællandsk", "Sjællandsk"),
    ("lollandsk", "Sydømål"),
    ("sydømål", "Sydømål"),
    ("ommersysselsk", "Østjysk"),
    ("sydfalstersk", "Sydømål"),
    ("fjandbomål", "Vestjysk"),
];

/// The label CoRal gives speakers born outside Denmark.
pub const NON_NATIVE: &str = "Non-native";

/// CoRal's 10 evaluation dialect labels.
pub const DIALECTS: &[&str] = &[
    "Bornholmsk",
    "Fynsk",
    "Københavnsk",
    "Nordjysk",
    "Sjællandsk",
    "Sydømål",
    "Sønderjysk",
    "Vestjysk",
    "Østjysk",
    NON_NATIVE,
];

/// The evaluation dialect of a speaker: `Non-native` when `country_birth` is set and not
/// "DK", else the mapped sub-dialect. A value that already is one of the 10 labels is
/// kept (pre-mapped data); anything else is `None` (CoRal's NaN, in no dialect group).
pub fn dialect_label(
    sub_dialect: Option<&str>,
    country_birth: Option<&str>,
) -> Option<&'static str> {
    if country_birth.is_some_and(|country| country != "DK") {
        return Some(NON_NATIVE);
    }
    let sub_dialect = sub_dialect?;
    SUB_DIALECT_TO_DIALECT
        .iter()
        .find(|(key, _)| *key == sub_dialect)
        .map(|(_, label)| *label)
        .or_else(|| {
            DIALECTS
                .iter()
                .find(|label| **label == sub_dialect)
                .copied()
        })
}

/// Age group label for [0, 25), [25, 50), [50, ∞).
pub fn age_group(age: Option<f64>) -> Option<&'static str> {
    match age? {
        age if age.is_nan() || age < 0.0 => None,
        age if age < 25.0 => Some("0-24"),
        age if age < 50.0 => Some("25-49"),
        _ => Some("50+"),
    }
}

/// A grouping dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Dialect,
    AgeGroup,
    Gender,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Self::Dialect => "dialect",
            Self::AgeGroup => "age_group",
            Self::Gender => "gender",
        }
    }
}

impl std::str::FromStr for Category {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "dialect" => Ok(Self::Dialect),
            "age" | "age_group" => Ok(Self::AgeGroup),
            "gender" => Ok(Self::Gender),
            other => Err(format!(
                "unknown group `{other}` (expected dialect, age or gender)"
            )),
        }
    }
}

/// The group labels of one utterance (`None` = unknown, in no group of that category).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Labels {
    pub dialect: Option<String>,
    pub age_group: Option<String>,
    pub gender: Option<String>,
}

impl Labels {
    pub fn get(&self, category: Category) -> Option<&str> {
        match category {
            Category::Dialect => self.dialect.as_deref(),
            Category::AgeGroup => self.age_group.as_deref(),
            Category::Gender => self.gender.as_deref(),
        }
    }
}

/// One scored subset: a value (or "all" = `None`) per category and its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub filters: Vec<(Category, Option<String>)>,
    pub members: Vec<usize>,
}

impl Group {
    /// "dialect=Fynsk, gender=female", or "all".
    pub fn name(&self) -> String {
        let parts: Vec<String> = self
            .filters
            .iter()
            .filter_map(|(category, value)| {
                value.as_ref().map(|v| format!("{}={v}", category.name()))
            })
            .collect();
        if parts.is_empty() {
            "all".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// CoRal's `get_score_df`: every combination of (each observed value, or "all") over
/// `categories`, in `itertools.product` order with values in order of first appearance.
/// A combination is skipped when one of its filters leaves the rows unchanged or empty,
/// so e.g. with a single gender present, `gender=female` rows never appear.
pub fn combinations(labels: &[Labels], categories: &[Category]) -> Vec<Group> {
    let values: Vec<Vec<Option<String>>> = categories
        .iter()
        .map(|&category| {
            let mut seen: Vec<Option<String>> = Vec::new();
            for value in labels.iter().filter_map(|l| l.get(category)) {
                if !seen.iter().any(|s| s.as_deref() == Some(value)) {
                    seen.push(Some(value.to_owned()));
                }
            }
            seen.push(None);
            seen
        })
        .collect();
    let mut groups = Vec::new();
    let mut choice = vec![0usize; categories.len()];
    loop {
        let mut members: Vec<usize> = (0..labels.len()).collect();
        let mut skip = false;
        for (k, &category) in categories.iter().enumerate() {
            if let Some(value) = &values[k][choice[k]] {
                let filtered: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&i| labels[i].get(category) == Some(value.as_str()))
                    .collect();
                skip |= filtered.len() == members.len() || filtered.is_empty();
                members = filtered;
            }
        }
        if !skip {
            let filters = categories
                .iter()
                .zip(&choice)
                .enumerate()
                .map(|(k, (&c, &v))| (c, values[k][v].clone()))
                .collect();
            groups.push(Group { filters, members });
        }
        // Odometer increment, last category fastest (itertools.product order).
        let mut k = categories.len();
        loop {
            if k == 0 {
                return groups;
            }
            k -= 1;
            choice[k] += 1;
            if choice[k] < values[k].len() {
                break;
            }
            choice[k] = 0;
        }
    }
}

/// Index of each utterance's speaker (first-appearance order), for cluster resampling.
/// Utterances without a speaker id each form their own cluster.
pub fn speaker_clusters(speakers: &[Option<String>]) -> Vec<usize> {
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut next = 0;
    speakers
        .iter()
        .map(|speaker| match speaker {
            Some(name) => *ids.entry(name.as_str()).or_insert_with(|| {
                next += 1;
                next - 1
            }),
            None => {
                next += 1;
                next - 1
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_four_sub_dialects_onto_nine_regions() {
        assert_eq!(SUB_DIALECT_TO_DIALECT.len(), 34);
        for (_, label) in SUB_DIALECT_TO_DIALECT {
            assert!(DIALECTS.contains(label) && *label != NON_NATIVE);
        }
        assert_eq!(dialect_label(Some("lollandsk"), None), Some("Sydømål"));
        assert_eq!(
            dialect_label(Some("lollandsk"), Some("DK")),
            Some("Sydømål")
        );
        assert_eq!(
            dialect_label(Some("lollandsk"), Some("SE")),
            Some(NON_NATIVE)
        );
        assert_eq!(dialect_label(Some("Fynsk"), None), Some("Fynsk"));
        assert_eq!(dialect_label(Some("klingon"), None), None);
    }

    #[test]
    fn age_groups_have_no_gap_at_25() {
        assert_eq!(age_group(Some(24.9)), Some("0-24"));
        assert_eq!(age_group(Some(25.0)), Some("25-49"));
        assert_eq!(age_group(Some(50.0)), Some("50+"));
        assert_eq!(age_group(None), None);
    }

    fn labels(dialect: &str, gender: &str) -> Labels {
        Labels {
            dialect: Some(dialect.into()),
            age_group: None,
            gender: Some(gender.into()),
        }
    }

    #[test]
    fn combinations_follow_get_score_df() {
        let rows = [
            labels("Fynsk", "female"),
            labels("Fynsk", "male"),
            labels("Østjysk", "female"),
        ];
        let groups = combinations(&rows, &[Category::Dialect, Category::Gender]);
        let names: Vec<String> = groups.iter().map(Group::name).collect();
        assert_eq!(
            names,
            [
                "dialect=Fynsk, gender=female",
                "dialect=Fynsk, gender=male",
                "dialect=Fynsk",
                // Østjysk has one row, so gender=female would not narrow it: skipped.
                "dialect=Østjysk",
                "gender=female",
                "gender=male",
                "all",
            ]
        );
        assert_eq!(groups[0].members, [0]);
        assert_eq!(groups.last().unwrap().members, [0, 1, 2]);
    }

    #[test]
    fn single_valued_categories_are_skipped_like_coral() {
        let rows = [labels("Fynsk", "female"), labels("Fynsk", "female")];
        let names: Vec<String> = combinations(&rows, &[Category::Gender])
            .iter()
            .map(Group::name)
            .collect();
        assert_eq!(names, ["all"]);
    }

    #[test]
    fn clusters_by_speaker() {
        let speakers = [
            Some("a".to_owned()),
            None,
            Some("b".to_owned()),
            Some("a".to_owned()),
        ];
        assert_eq!(speaker_clusters(&speakers), [0, 1, 2, 0]);
    }
}
