//! The WhatsApp template a reminder is sent as outside the 24-hour window: its name
//! (`WHATSAPP_REMINDER_TEMPLATE`) and which of its approved languages serves each guest
//! language (`WHATSAPP_REMINDER_LANGUAGES`, `en:en_US,es:es`), and its body's parameters.
//!
//! The template must be approved in WhatsApp Manager under that name in each language code,
//! with a body of six parameters, in this order: `{{1}}` the hotel, `{{2}}` the arrival date,
//! `{{3}}` the check-in time, `{{4}}` parking, `{{5}}` breakfast, `{{6}}` the booking
//! reference (see [`template`]).

use agent_nodes::nlu::Language;

use crate::meta::form::Template;

/// Which template language code serves each guest language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateLanguages(Vec<(Language, String)>);

impl TemplateLanguages {
    /// The code for `language`, if one is configured.
    pub(crate) fn code(&self, language: Language) -> Option<&str> {
        self.0
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(_, code)| code.as_str())
    }
}

impl std::fmt::Display for TemplateLanguages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pairs: Vec<String> = self
            .0
            .iter()
            .map(|(language, code)| format!("{}:{code}", tag(*language)))
            .collect();
        f.write_str(&pairs.join(","))
    }
}

fn tag(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Es => "es",
    }
}

/// Parses `en:en_US,es:es`: guest languages (`en`, `es`) each with a WhatsApp language code
/// (letters and `_`).
pub(crate) fn parse_languages(text: &str) -> Result<TemplateLanguages, String> {
    let mut pairs = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (language, code) = pair
            .split_once(':')
            .ok_or_else(|| format!("`{pair}` is not LANGUAGE:CODE, e.g. es:es"))?;
        let language = match language.trim() {
            "en" => Language::En,
            "es" => Language::Es,
            other => return Err(format!("`{other}` is not a guest language (en or es)")),
        };
        let code = code.trim();
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
            return Err(format!(
                "`{code}` is not a WhatsApp language code like en_US"
            ));
        }
        if pairs.iter().any(|(l, _)| *l == language) {
            return Err(format!("`{}` is given twice", tag(language)));
        }
        pairs.push((language, code.to_owned()));
    }
    Ok(TemplateLanguages(pairs))
}

/// The template `name` in `code` with the reminder's values, in the order the module doc
/// lists.
pub(crate) fn template(name: &str, code: &str, values: [String; 6]) -> Template {
    Template {
        name: name.to_owned(),
        language: code.to_owned(),
        params: values.into(),
    }
}
