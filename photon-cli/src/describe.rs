//! `photon process --describe`: the describer the flags ask for, with its key, and what the
//! run's summary says of it.

use crate::args::ProcessArgs;
use crate::report::chain;
use photon_core::{DescribeOptions, Describer, DescriberId};
use photon_describe::{ApiKey, DescriberOptions, HttpDescriber};
use std::sync::Arc;
use std::time::Duration;

/// The run's describer and how its images are prepared.
pub struct DescribeSetup {
    pub describer: Arc<HttpDescriber>,
    pub options: DescribeOptions,
}

impl DescribeSetup {
    /// Who describes: what a resumed run compares records with.
    pub fn id(&self) -> DescriberId {
        self.describer.id()
    }
}

/// The describer `--describe` asks for, or none without it.
pub fn setup(args: &ProcessArgs) -> Result<Option<DescribeSetup>, String> {
    let Some(name) = &args.describe else {
        return Ok(None);
    };
    let options = describer_options(args, name)?;
    let file = args.api_key_file.as_deref();
    let key = ApiKey::for_preset(name, file).map_err(|e| match file {
        Some(path) => format!("{}: {}", path.display(), chain(&e)),
        None => chain(&e),
    })?;
    let describer = HttpDescriber::new(options, key)
        .map_err(|e| format!("--describe {name}: {}", chain(&e)))?;
    let options = DescribeOptions::default()
        .max_side(args.describe_size)
        .send_exif(args.describe_send_exif);
    Ok(Some(DescribeSetup {
        describer: Arc::new(describer),
        options,
    }))
}

fn describer_options(args: &ProcessArgs, name: &str) -> Result<DescriberOptions, String> {
    let options = DescriberOptions::preset(name)
        .ok_or_else(|| {
            format!(
                "--describe {name}: not one of {}",
                DescriberOptions::PRESETS.join(", ")
            )
        })?
        .max_tokens(args.describe_max_tokens)
        .parallel(args.describe_parallel)
        .timeout(Duration::from_secs_f64(args.describe_timeout))
        .max_requests(args.describe_max_requests)
        .overridden(
            args.describe_url.as_deref(),
            args.describe_model.as_deref(),
            args.describe_prompt.as_deref(),
        );
    Ok(options)
}

/// The summary's line about describing: requests sent, and the budget when it ran out.
pub fn summary_line(setup: &DescribeSetup) -> String {
    let describer = &setup.describer;
    let sent = describer.requests_sent();
    let refused = describer.refused_by_budget();
    let budget = describer.options().max_requests;
    match budget {
        Some(max) if refused > 0 => format!(
            "photon: describing stopped: the budget of {max} requests (--describe-max-requests) \
             is spent; {refused} images were not described (their records say `budget`; run \
             again with --skip-existing to describe them)"
        ),
        _ => format!("photon: describe requests sent: {sent}"),
    }
}
