//! Guests opting out of proactive messages, and back in: whole-message commands in English and
//! Spanish written the way people type them ("STOP", "stop pls", "no more messages", "no
//! quiero recibir mensajes", "baja"; "start", "quiero recibir mensajes", "alta"), read by
//! [`read`], and the inbox's one call before a turn, [`answer`], which records the choice
//! (`sv_optouts`) and confirms it in the guest's language instead of passing the message to
//! the agent.
//!
//! Only a message that is nothing but the command counts (politeness aside): "stop, I want to
//! cancel my booking" and "can you stop the cleaning tomorrow" are for the agent. The cases
//! are data: `server/tests/it/optout/{tuning,holdout}.tsv`.

use std::sync::LazyLock;

use agent_nodes::nlu::Language;
use regex::Regex;

use crate::db::{Kind, Pending};
use crate::state::{App, now_ms};

/// A command read from a guest's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Command {
    /// Opting out (true) or back in.
    pub(crate) out: bool,
    /// The language the command is in; `None` for words of both ("stop", "start").
    pub(crate) language: Option<Language>,
}

/// Words around a command that do not change it, removed from both ends.
const FILLERS: &[&str] = &[
    "please",
    "pls",
    "plz",
    "plez",
    "thanks",
    "thank you",
    "thx",
    "ty",
    "ok",
    "okay",
    "hi",
    "hello",
    "hey",
    "now",
    "just",
    "right now",
    "por favor",
    "porfa",
    "porfavor",
    "xfa",
    "gracias",
    "muchas gracias",
    "ya",
    "ahora",
    "hola",
    "vale",
];

/// Each pattern with the language it is in, matched against the whole normalised message.
const PATTERNS: &[(bool, Option<Language>, &str)] = &[
    (
        true,
        None,
        r"stop( stop)*( it| all| now)?|end|quit|stopall|unsubscribe( me)?|unsub|opt ?out|opt me out",
    ),
    (
        true,
        Some(Language::En),
        concat!(
            r"stop (sending|messaging|texting|contacting|writing to|bothering)( me| us)?",
            r"( (any )?(more|messages|texts|msgs|reminders|notifications))*",
            r"|no more (messages|texts|msgs|reminders|notifications)",
            r"|(i )?(dont|do not) (want|wish) to (receive|get)( any)?( more)? (messages|texts|msgs|reminders|notifications)( from you)?",
            r"|(i )?(dont|do not) want (any )?more (messages|texts|msgs|reminders|notifications)",
            r"|(dont|do not) (send|message|text|contact|write)( me| to me)?( any)?( more)?( messages| texts)?( again| anymore| any more)?",
            r"|remove me( from (your|the) list)?",
        ),
    ),
    (
        true,
        Some(Language::Es),
        concat!(
            r"(ya )?(yo )?no (quiero|deseo) (recibir|que me (manden|envien|mandes|envies|escriban))( mas)? (mensajes|notificaciones|recordatorios)( de ustedes)?",
            r"|(ya )?no (me )?(manden|envien|mandes|envies|escriban|escribas) mas( mensajes)?",
            r"|no mas (mensajes|notificaciones|recordatorios)",
            r"|((quiero )?dar(me|se)?|dame|denme|quiero darme) de baja|baja",
            r"|para(r|d|n)?( ya)?|basta( de mensajes)?",
            r"|(dejen|deja|dejad) de (mandarme|enviarme|escribirme|mandar|enviar)( mensajes)?",
            r"|desuscribir(me|se)?|cancelar (la )?suscripcion",
        ),
    ),
    (
        false,
        None,
        r"start|unstop|(re)?subscribe( me)?|opt ?in|opt me in",
    ),
    (
        false,
        Some(Language::En),
        concat!(
            r"((i )?(want|would like|wish)|id like) to (receive|get) (messages|reminders|texts|notifications)( again)?",
            r"|(you can )?(send|message) me (messages |reminders )?again|resume( messages| reminders)?",
            r"|start (sending|messaging)( me)?( messages)?( again)?",
        ),
    ),
    (
        false,
        Some(Language::Es),
        concat!(
            r"(quiero|deseo) (volver a )?recibir (sus )?(mensajes|recordatorios|notificaciones)( de nuevo| otra vez)?",
            r"|((quiero )?dar(me)?|dame|denme) de alta|alta",
            r"|(volver a )?suscribir(me)?|(pueden|puedes) (volver a )?(mandarme|enviarme) (mensajes|recordatorios)( de nuevo| otra vez)?",
        ),
    ),
];

/// The patterns, compiled whole-message; one that does not compile is left out (the tests
/// read every case, so a broken pattern fails them).
static COMPILED: LazyLock<Vec<(Command, Regex)>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .filter_map(|&(out, language, pattern)| {
            let regex = Regex::new(&format!("^(?:{pattern})$")).ok()?;
            Some((Command { out, language }, regex))
        })
        .collect()
});

/// The command `message` is, if it is nothing but one.
pub(crate) fn read(message: &str) -> Option<Command> {
    let text = strip_fillers(&normalise(message));
    if text.is_empty() {
        return None;
    }
    COMPILED
        .iter()
        .find(|(_, regex)| regex.is_match(&text))
        .map(|(command, _)| *command)
}

/// Lower case, without accents, apostrophes or punctuation, single spaces.
fn normalise(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            '\'' | '’' => continue,
            c if c.is_alphanumeric() => c,
            _ => ' ',
        };
        out.push(c);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` without filler words at either end.
fn strip_fillers(text: &str) -> String {
    let mut text = text;
    loop {
        let before = text.len();
        for filler in FILLERS {
            if let Some(rest) = text.strip_prefix(filler)
                && (rest.is_empty() || rest.starts_with(' '))
            {
                text = rest.trim_start();
            }
            if let Some(rest) = text.strip_suffix(filler)
                && (rest.is_empty() || rest.ends_with(' '))
            {
                text = rest.trim_end();
            }
        }
        if text.len() == before {
            return text.to_owned();
        }
    }
}

/// What a guest who opted out is told.
fn confirmation(command: Command, language: Language) -> &'static str {
    match (command.out, language) {
        (true, Language::En) => {
            "Done: we will not send you reminders or other messages on our own any more. We \
             still answer whenever you write. To get them again, send START."
        }
        (true, Language::Es) => {
            "Hecho: ya no le enviaremos recordatorios ni otros mensajes por iniciativa propia. \
             Seguiremos respondiendo cuando nos escriba. Para volver a recibirlos, envíe ALTA."
        }
        (false, Language::En) => "Done: you will get our reminders again. Send STOP to stop them.",
        (false, Language::Es) => {
            "Hecho: volverá a recibir nuestros recordatorios. Envíe BAJA para dejar de recibirlos."
        }
    }
}

/// The inbox's call before a turn: when `row` is an opt-out or opt-in command, records it and
/// returns the confirmation to send instead of the agent's reply (or why recording failed, to
/// try the message again); `None` for any other message.
pub(crate) async fn answer(app: &App, row: &Pending) -> Option<Result<String, String>> {
    if row.kind != Kind::Text {
        return None;
    }
    let command = read(&row.text)?;
    let channel = row.channel.as_str();
    let scheduler = app.agent.scheduler();
    if let Err(e) = scheduler
        .jobs
        .set_opt_out(channel, &row.user, command.out, now_ms())
        .await
    {
        return Some(Err(e.to_string()));
    }
    tracing::info!(
        out = command.out,
        "a guest opted out of or back into proactive messages"
    );
    let language = match command.language {
        Some(language) => language,
        None => crate::sched::guest_language(app, channel, &row.user)
            .await
            .unwrap_or_default(),
    };
    Some(Ok(confirmation(command, language).to_owned()))
}
