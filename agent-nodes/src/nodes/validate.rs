//! [`Validator`]: check slots, explain what is wrong to the guest, route on the outcome.

use std::sync::Arc;

use async_trait::async_trait;
use graph_core::{Command, Ctx, Node, NodeId, NodeResult, State, StateGraph};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::nlu::Language;

/// A slot that fails a rule, with a message for the guest in each language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Violation {
    /// The slot (`check_in`, `adults`, …).
    pub slot: String,
    /// The message in English.
    pub en: String,
    /// The message in Spanish.
    pub es: String,
}

impl Violation {
    /// A violation of `slot`.
    pub fn new(slot: &str, en: impl Into<String>, es: impl Into<String>) -> Self {
        Self {
            slot: slot.to_owned(),
            en: en.into(),
            es: es.into(),
        }
    }

    /// The message in `language`.
    pub fn message(&self, language: Language) -> &str {
        match language {
            Language::En => &self.en,
            Language::Es => &self.es,
        }
    }
}

/// A check of the state: `None` when it passes.
pub type Rule<S> = Arc<dyn Fn(&S) -> Option<Violation> + Send + Sync>;

/// Checks common booking slots; call them from a rule with the state's values.
pub mod rules {
    use chrono::NaiveDate;

    use super::Violation;

    /// A value the guest has not given yet.
    pub fn required(slot: &str, present: bool, en: &str, es: &str) -> Option<Violation> {
        (!present).then(|| Violation::new(slot, en, es))
    }

    /// Arrival not before `today`, departure after arrival, at most `max_nights`.
    pub fn stay(
        check_in: Option<NaiveDate>,
        check_out: Option<NaiveDate>,
        today: NaiveDate,
        max_nights: u32,
    ) -> Option<Violation> {
        let check_in = check_in?;
        if check_in < today {
            return Some(Violation::new(
                "check_in",
                format!("The arrival date {check_in} has already passed."),
                format!("La fecha de llegada {check_in} ya ha pasado."),
            ));
        }
        let check_out = check_out?;
        let nights = (check_out - check_in).num_days();
        if nights < 1 {
            return Some(Violation::new(
                "check_out",
                "The departure date must be after the arrival date.",
                "La fecha de salida debe ser posterior a la de llegada.",
            ));
        }
        (nights > i64::from(max_nights)).then(|| {
            Violation::new(
                "check_out",
                format!("Stays can be at most {max_nights} nights; this one is {nights}."),
                format!(
                    "Las estancias son de {max_nights} noches como máximo; esta es de {nights}."
                ),
            )
        })
    }

    /// At least one adult, and at most `max` guests in all.
    pub fn guests(adults: Option<u32>, children: Option<u32>, max: u32) -> Option<Violation> {
        let adults = adults?;
        if adults == 0 {
            return Some(Violation::new(
                "adults",
                "At least one adult must stay in the room.",
                "Debe alojarse al menos un adulto.",
            ));
        }
        let total = adults.saturating_add(children.unwrap_or(0));
        (total > max).then(|| {
            Violation::new(
                "adults",
                format!("A room takes at most {max} guests; you are {total}."),
                format!("Una habitación admite como máximo {max} huéspedes; sois {total}."),
            )
        })
    }

    /// A plausible email address: one `@`, a dot in the domain, no spaces.
    pub fn email(email: Option<&str>) -> Option<Violation> {
        let email = email?;
        let plausible = email.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|part| !part.is_empty())
        }) && !email.chars().any(char::is_whitespace);
        (!plausible).then(|| {
            Violation::new(
                "email",
                format!("\"{email}\" does not look like an email address."),
                format!("\"{email}\" no parece una dirección de correo."),
            )
        })
    }
}

type Store<S> = Arc<dyn Fn(Vec<Violation>) -> <S as State>::Update + Send + Sync>;

/// A node that runs its rules, stores the violations (empty when all pass) and goes to the
/// `valid` or the `invalid` node. Add it with [`Validator::add_to`].
///
/// ```
/// use agent_nodes::nlu::Language;
/// use agent_nodes::nodes::{Validator, Violation, rules};
/// use chrono::NaiveDate;
/// use graph_core::{State, StateGraph};
///
/// #[derive(State, Clone, Default)]
/// struct Stay {
///     check_in: Option<NaiveDate>,
///     check_out: Option<NaiveDate>,
///     adults: Option<u32>,
///     violations: Vec<Violation>,
/// }
///
/// let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
/// let validator = Validator::new(|v| StayUpdate::default().violations(v), "book", "ask_again")
///     .rule(move |s: &Stay| rules::stay(s.check_in, s.check_out, today, 30))
///     .rule(|s: &Stay| rules::guests(s.adults, None, 4));
/// let wrong = Stay { check_in: NaiveDate::from_ymd_opt(2026, 12, 6), check_out: NaiveDate::from_ymd_opt(2026, 12, 3), adults: Some(2), ..Stay::default() };
/// let found = validator.check(&wrong);
/// assert_eq!(found[0].message(Language::En), "The departure date must be after the arrival date.");
///
/// let mut graph = StateGraph::<Stay>::new();
/// validator.add_to(&mut graph, "check");
/// ```
pub struct Validator<S: State> {
    rules: Vec<Rule<S>>,
    store: Store<S>,
    valid: NodeId,
    invalid: NodeId,
}

impl<S: State> Validator<S> {
    /// A validator storing violations with `store`, going to `valid` or `invalid`.
    pub fn new(
        store: impl Fn(Vec<Violation>) -> S::Update + Send + Sync + 'static,
        valid: impl Into<NodeId>,
        invalid: impl Into<NodeId>,
    ) -> Self {
        Self {
            rules: Vec::new(),
            store: Arc::new(store),
            valid: valid.into(),
            invalid: invalid.into(),
        }
    }

    /// Adds a rule; rules run in the order added.
    #[must_use]
    pub fn rule(mut self, rule: impl Fn(&S) -> Option<Violation> + Send + Sync + 'static) -> Self {
        self.rules.push(Arc::new(rule));
        self
    }

    /// The violations of `state`, in rule order.
    pub fn check(&self, state: &S) -> Vec<Violation> {
        self.rules.iter().filter_map(|rule| rule(state)).collect()
    }

    /// Adds the validator to `graph` as `name`, declaring both destinations.
    pub fn add_to(self, graph: &mut StateGraph<S>, name: impl Into<NodeId>) {
        let destinations = [self.valid.clone(), self.invalid.clone()];
        graph.add_node_impl(name, self).destinations(destinations);
    }
}

#[async_trait]
impl<S: State> Node<S> for Validator<S> {
    async fn run(&self, state: Arc<S>, _ctx: Ctx) -> NodeResult<S> {
        let violations = self.check(&state);
        let next = if violations.is_empty() {
            self.valid.clone()
        } else {
            self.invalid.clone()
        };
        Ok(Command::update((self.store)(violations)).and_goto(next))
    }
}
