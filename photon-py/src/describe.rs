//! `photon.Pipeline(describe=...)`: the describe arguments checked and turned into a describer.

use photon_core::DescribeOptions;
use photon_describe::{ApiKey, DescriberOptions, HttpDescriber};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::time::Duration;

/// The `describe*` arguments and `api_key_file`.
pub(crate) struct DescribeArgs {
    pub preset: Option<String>,
    pub url: Option<String>,
    pub model: Option<String>,
    pub prompt: Option<String>,
    pub max_tokens: u32,
    pub parallel: usize,
    pub timeout: f64,
    pub max_requests: Option<u64>,
    pub size: u32,
    pub send_exif: bool,
    pub api_key_file: Option<PathBuf>,
}

impl Default for DescribeArgs {
    fn default() -> Self {
        Self {
            preset: None,
            url: None,
            model: None,
            prompt: None,
            max_tokens: 200,
            parallel: 4,
            timeout: 60.0,
            max_requests: None,
            size: 768,
            send_exif: false,
            api_key_file: None,
        }
    }
}

impl DescribeArgs {
    /// The arguments from the constructor's remaining keywords; any other keyword is a
    /// `TypeError`, as Python raises for an unknown one.
    pub(crate) fn from_keywords(keywords: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut args = Self::default();
        for (name, value) in keywords.into_iter().flat_map(|k| k.iter()) {
            let name: String = name.extract()?;
            args.set(&name, &value)?;
        }
        Ok(args)
    }

    /// Sets the argument `name` to `value` (`None` leaves an optional one unset).
    fn set(&mut self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        match name {
            "describe" => self.preset = value.extract()?,
            "describe_url" => self.url = value.extract()?,
            "describe_model" => self.model = value.extract()?,
            "describe_prompt" => self.prompt = value.extract()?,
            "describe_max_tokens" => self.max_tokens = value.extract()?,
            "describe_parallel" => self.parallel = value.extract()?,
            "describe_timeout" => self.timeout = value.extract()?,
            "describe_max_requests" => self.max_requests = value.extract()?,
            "describe_size" => self.size = value.extract()?,
            "describe_send_exif" => self.send_exif = value.extract()?,
            "api_key_file" => self.api_key_file = value.extract()?,
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "Pipeline() got an unexpected keyword argument '{name}'"
                )));
            }
        }
        Ok(())
    }

    /// The describer asked for, with how its images are prepared; none without `describe`.
    pub(crate) fn build(&self) -> PyResult<Option<(HttpDescriber, DescribeOptions)>> {
        let Some(preset) = &self.preset else {
            return Ok(None);
        };
        let options = self.options(preset)?;
        let key = ApiKey::for_preset(preset, self.api_key_file.as_deref())
            .map_err(|e| PyValueError::new_err(format!("api_key_file: {e}")))?;
        let describer = HttpDescriber::new(options, key)
            .map_err(|e| PyRuntimeError::new_err(photon_core::with_causes(&e)))?;
        let prepare = DescribeOptions::default()
            .max_side(self.size)
            .send_exif(self.send_exif);
        Ok(Some((describer, prepare)))
    }

    fn options(&self, preset: &str) -> PyResult<DescriberOptions> {
        let known = DescriberOptions::PRESETS.join(", ");
        let invalid = |m: String| PyValueError::new_err(m);
        let options = DescriberOptions::preset(preset)
            .ok_or_else(|| invalid(format!("describe must be one of {known}, not {preset:?}")))?;
        let timeout_ok = self.timeout > 0.0 && self.timeout <= 86_400.0;
        if !timeout_ok || !(64..=4096).contains(&self.size) {
            return Err(invalid(
                "describe_timeout must be above 0 and describe_size 64-4096".into(),
            ));
        }
        Ok(options
            .max_tokens(self.max_tokens)
            .parallel(self.parallel)
            .timeout(Duration::from_secs_f64(self.timeout))
            .max_requests(self.max_requests)
            .overridden(
                self.url.as_deref(),
                self.model.as_deref(),
                self.prompt.as_deref(),
            ))
    }
}
