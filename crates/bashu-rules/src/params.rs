//! Rule parameters. They live in the genesis (`rule_parameters_json`) and change only by
//! alliance decision; [`RuleParams::alliance_default`] is what `alliance init` writes into a
//! new genesis (the values SPEC marks "alliance default").

use serde::{Deserialize, Serialize};

/// Why a parameter document was refused.
#[derive(Debug, thiserror::Error)]
#[error("rule parameters are invalid: {0}")]
pub struct ParamsError(pub String);

/// All parameters of the rule set. (Filled in by the rules implementation.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleParams {
    /// Whether a high-skill certificate must name an assessment batch.
    pub require_batch_for_high_skill: bool,
}

impl RuleParams {
    pub fn alliance_default() -> RuleParams {
        RuleParams {
            require_batch_for_high_skill: false,
        }
    }

    pub fn from_json(s: &str) -> Result<RuleParams, ParamsError> {
        serde_json::from_str(s).map_err(|e| ParamsError(e.to_string()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
