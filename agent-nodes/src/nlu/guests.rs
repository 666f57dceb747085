//! Who is coming: adults and children, from "2 adults and a child", "for four", "we are 3",
//! "me and my wife", "dos adultos y un niño", "somos 4".
//!
//! Runs on text whose dates and nights are already masked, so "for 3 nights" is never a head
//! count. A head count without ages ("for four", "somos 4") counts adults, less any children
//! named separately ("we are 4 with 2 kids" is 2 adults and 2 children).

use std::sync::LazyLock;

use regex::Regex;

use super::numbers;
use super::text;

mod people;

pub(super) use people::just_me;
use people::{OWNERS, PAIRS, WHICH_ONE, listed};

/// The party found in a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Party {
    pub(super) adults: Option<u32>,
    pub(super) children: Option<u32>,
}

struct Patterns {
    /// "2 adults", "dos adultos".
    adults: Regex,
    /// "a child", "3 kids", "no children", "sin niños".
    children: Regex,
    /// "my son", "nuestra hija": one child each.
    child: Regex,
    /// "con el bebé", "with our baby": a baby coming with a couple.
    with_child: Regex,
    /// "for four", "para 2".
    total_for: Regex,
    /// "4 people", "3 of us", "dos personas".
    total_people: Regex,
    /// "we are 3", "party of 5", "somos 4".
    total_we: Regex,
    /// "me and my wife", "mi marido y yo", "a couple": two adults.
    couple: Regex,
    /// "just me", "yo sola": one adult.
    alone: Regex,
    /// "me and my …", "yo y mis …": one adult and whoever follows.
    me_and: Regex,
    /// "me and 3 buddies", "yo y 2 amigos": one adult and that many more.
    me_plus: Regex,
    /// "two couples", "3 parejas": two adults each.
    couples: Regex,
    /// "and his parents", "y mis suegros": two more adults on top of a couple.
    companion_pair: Regex,
    /// "+ my mom", "y mi madre": one more adult on top of a head count.
    companion: Regex,
    /// "los mellizos", "our twins": two children.
    twins: Regex,
    /// "our 2 boys", "mis 3 chicas": children.
    own_kids: Regex,
    /// "our 8 month old", "de 6 meses": a baby.
    months_old: Regex,
    /// "ponle 3", "4 en total", "make it 3 people": the whole party, said outright.
    explicit: Regex,
    /// "2 in each", "dos por habitación": the party of one room of several.
    each: Regex,
    /// "two standards, 2 and 2", "dos y dos": rooms shared alike, so one room's party.
    alike: Regex,
    /// "for my husband and our eldest", "para mis papás", "my sister and her husband wanna
    /// come": the people a room is for, named one by one.
    listed: Regex,
}

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("guest rule {pattern}: {e}"))
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    let count = numbers::pattern(true);
    let bare = numbers::pattern(false);
    let partner = "wife|wifey|husband|hubby|partner|girlfriend|boyfriend|gf|bf|fiance|fiancee|friend|bestie|bff|mom|mum|mother|dad|father|sister|sis|brother|bro|colleague|coworker|boss|cousin|aunt|uncle|grandma|grandpa|grandmother|grandfather|mother\\s*-?\\s*in\\s*-?\\s*law|spouse|other\\s+half|roommate|roomie|flatmate|housemate|buddy|pal|mate|classmate|teammate|assistant";
    let pareja = "mujer|esposa|marido|esposo|pareja|novia|novio|amigo|amiga|madre|padre|mama|papa|hermana|hermano|suegra|suegro|prima|primo|tia|tio|abuela|abuelo|companero|companera|jefe|jefa|chica|chico|peque|socio|socia|colega|cuate|cuata|parcero|parcera|compa|compi|roomie";
    // One person or one pair, named with a possessive; "me", "yo" on their own.
    let one = format!(
        "(?:son|daughter|brother|sister|father|mother)\\s*-?\\s*in\\s*-?\\s*law|yerno|nuera|cunado|cunada|senora|senor|{partner}|{pareja}|son|daughter|eldest|oldest|youngest|baby|niece|nephew|hijo|hija|nieto|nieta|sobrino|sobrina|bebe|mayor|menor"
    );
    let pair = PAIRS.join("|");
    let owner = OWNERS.join("|");
    let which = WHICH_ONE.join("|");
    // "para mí y mi novia": "mi" alone, before "y", is the guest.
    // ("My business partner and his wife": a word may say which one.)
    let owned = format!(r"(?:{owner})\s+(?:(?:{which})\s+)?(?:{one}|{pair})");
    // "For him and a friend", "para ella y una amiga": a pronoun or someone unnamed is one.
    let someone = r"(?:a|an|un|una)\s+(?:friend|buddy|mate|colleague|coworker|amigo|amiga|companero|companera|colega)";
    // "Mi esposa, yo y el bebé": the baby of the family, counted with the children.
    let the_child = r"(?:the|el|la)\s+(?:baby|bebe|nene|nena|peque|guagua)";
    // "Para mi esposa y para mí": the guest again after "and".
    let and_me = r"(?:para|for)\s+(?:mi|me)";
    // "Me, my husband, 2 kids and grandpa": a counted group is one item of the list.
    let counted = format!(
        r"(?:(?:{owner})\s+)?(?:{count})\s+(?:kids?|children|adults?|adultos?|ninos?|ninas?|hijos?|hijas?|friends|amigos|amigas|teens?|teenagers?|babies|bebes|roommates|roomies|buddies|coworkers|colleagues|cousins|sisters|brothers|guys|girls|primos|primas|hermanos|hermanas|companeros|companeras|colegas)"
    );
    let item = format!(
        r"(?:{owned}|me|myself|yo|him|her|ella|{someone}|{the_child}|{and_me}|mi\s*(?:,|\by)\s*(?:{owned}|{someone})|{counted})"
    );
    // After the first, a relative may come without "my": "our daughter and son-in-law".
    // Voice-to-text drops the commas: "its me my husband and our daughter".
    let more = format!(
        r"(?:(?:\s*(?:,|and|&|\+|n|plus|y|e)\s*|\s+)(?:{item}|(?:(?:the|el|la)\s+)?(?:{one}|{pair})\b))"
    );
    let list = format!(r"{item}{more}*");
    Patterns {
        listed: compile(&format!(
            r"\b(?:for|para|pa|just|only|its|it\s+is|it\s+(?:will|would|d|ll)\s+be|itll\s+be|would\s+be|will\s+be|somos|seremos|seriamos|vamos|viajamos|vendriamos)\s+({list})\b|(?:^|[.!?,;]\s*|\b(?:and|but|ok|so|also|y|pero|oh)\s+)({list})\s+(?:wanna|want\s+to|would\s+like\s+to|are\s+(?:coming|joining)|will\s+(?:come|join)|quieren\s+venir|vienen|van\s+a\s+venir|se\s+(?:apuntan|unen|suman))\b|(?:^|[,;:.!?])\s*((?:me|myself|yo|her|him|ella|{owned}){more}+)\b"
        )),
        adults: compile(&format!(
            r"\b({count})\s+(?:adults?|adultos?|adluts?|adlts?|aduts?|grown\s*-?\s*ups?|mayores)\b"
        )),
        children: compile(&format!(
            r"\b({count}|no|sin)\s+(?:children|child|kids?|kiddos?|teenagers?|teens?|adolescentes?|grandkids?|grandchildren|grandchild|nietos?|nietas?|babies|baby|infants?|toddlers?|little\s+ones|ninos?|ninas?|hijos?|hijas?|bebes?|menores|nenes?|nenas?|peques|pequenos|pequenas|crios|chamacos|chamos|chamas|chamitos|chamitas|carajitos|chicos|cabros(?:\s+chicos)?|cabritos|guaguas|pibes|chiquitos|chiquillos|hijitos|chavitos|morritos)\b"
        )),
        child: compile(
            r"\b(?:my|our|mi|nuestro|nuestra)\s+(?:son|daughter|kid|child|baby|hijo|hija|hijito|hijita|bebe|nino|nina|nene|nena)\b|\b(?:his|her|su)\s+(?:baby|hijito|hijita|bebe|nene|nena)\b|\b(?:y|and)\s+(?:the|el|la)\s+(?:baby|bebe|nene|nena|guagua)\b|(?:\+|\bplus|\bmas)\s*(?:baby|bebe|infant|toddler|nene|nena)\b",
        ),
        explicit: compile(&format!(
            r"\b(?:ponle|ponlo|pon|put(?:\s+it)?(?:\s+down)?\s+(?:as|for)|make\s+it\s+for|(?:keep|leave)\s+it\s+at|dejalo\s+en|dejala\s+en|en\s+total|in\s+total|total\s+of|total|o\s+sea|es\s+decir|so\s+thats|thats)\s+({bare})\b|\b({bare})\s+(?:in\s+the|en\s+la)\s{{4,}}(?:room\s*|habitacion\s*)?(?:[.,!?]|$|then|entonces)|\bso\s+({bare})(?:\s+i\s+guess|\s+then|\s+of\s+us)?\s?(?:[.,!?]|$)|\b(?:ok|okay|vale|bueno|pues|fine)\s+({bare})\s+(?:then|entonces)\b|\b({bare})\s+(?:en\s+total|in\s+total|total|personas\s+en\s+total|incl\.?\s+me|inc\.?\s+me|including\s+me|including\s+myself|counting\s+me|conmigo|contandome|incluyendome)\b"
        )),
        own_kids: compile(&format!(
            r"\b(?:(?:our|my|mis|nuestros|nuestras)\s+({count})\s+(?:boys|girls|sons|daughters|chicos|chicas)\b|({count})\s+(?:boys|girls|chicos|chicas|nenes|nenas)\s+(?:aged\s+|of\s+|de\s+)?[0-9])"
        )),
        with_child: compile(
            r"\b(?:con|with|plus|mas|\+)\s*(?:the|el|la|our|my|mi|nuestro|nuestra)\s+(?:baby|bebe|nene|nena|bebito|bebita)\b",
        ),
        months_old: compile(
            r"\b[0-9]{1,2}\s*-?\s*(?:months?|mos?)\s*-?\s*old\b|\bde\s+[0-9]{1,2}\s+meses\b|\bnewborn\b|\brecien\s+nacid[oa]\b",
        ),
        twins: compile(
            r"\b(?:los|las|our|my|mis|nuestros|nuestras|the|two|2|dos|a\s+pair\s+of)\s+(?:mellizos|mellizas|gemelos|gemelas|twins)\b",
        ),
        each: compile(&format!(
            r"\b({bare})\s+(?:in\s+each|per\s+room|each\s+room|en\s+cada\s+una|en\s+cada\s+habitacion|por\s+habitacion)\b"
        )),
        alike: compile(&format!(r"\b({bare})\s*(?:and|y|&|\+|n)\s*({bare})\b")),
        total_for: compile(&format!(
            r"\b(?:for|para|pa)\s+(?:the\s+other\s+|los\s+otros\s+|las\s+otras\s+)?({bare})\b"
        )),
        total_people: compile(&format!(
            r"\b({count})\s*(?:people|ppl|peeps|persons?|guests?|pax|adultos?\s+en\s+total|personas?|pers|huespedes|huesped|of\s+us|de\s+nosotros)\b"
        )),
        total_we: compile(&format!(
            r"\b(?:we\s+are|we\s+r|were|we\s+will\s+be|well\s+be|itll\s+be|it\s+will\s+be|party\s+of|group\s+of|family\s+of|somos|seremos|seriamos|vamos\s+a\s+ser|(?:seguimos|seguiremos)\s+siendo|vamos|vendremos|viajamos|iremos|un\s+grupo\s+de|una\s+familia\s+de)\s+(?:(?:only|just|still|solo|solamente|al\s+final|finalmente|en\s+total)\s+)?({bare})\b"
        )),
        couple: compile(&format!(
            r"(?:\b(?:me|i|myself)\s*(?:and|&|\+|n|plus|y|,)\s*(?:my\s+|the\s+|mi\s+)?(?:{partner}|{pareja})|\bmy\s+(?:{partner})\s*(?:and|&|\+|n)\s*(?:i|me|myself)|\bwith\s+(?:my|the)\s+(?:{partner})|\bw/?\s+my\s+(?:wife|wifey|husband|hubby|partner|spouse|girlfriend|boyfriend|gf|bf|fiance|fiancee)|\ba\s+couple|\bmi\s+(?:{pareja})\s*(?:,|y)\s*(?:y\s+)?yo|\b(?:viaja|va|viene|travels|travelling|traveling|is\s+going|goes|is\s+coming)\s+(?:con|with)\s+(?:su|his|her)\s+(?:{partner}|{pareja})\b|\b(?:yo\s+)?con\s+mi\s+(?:{pareja})|\buna\s+pareja|\ben\s+pareja|\b(?:yo|me)\s*(?:y|,|and)\s*mi\s+(?:vieja|viejo|senora|gorda|flaca)\b|\bmi\s+(?:vieja|viejo|senora)\s+y\s+yo|\b(?:un\s+)?matrimonio|\bnosotros\s+(?:dos|2)|\bnosotras\s+dos|\blos\s+dos|\blas\s+dos|\bellos\s+dos|\bellas\s+dos|\bambos|\bboth\s+of\s+(?:us|them)|\bus\s+(?:two|2)|\bjust\s+the\s+two\s+of\s+(?:us|them)|\bthe\s+(?:two|2)\s+of\s+them|\b(?:me|i|yo)\s+(?:and|&|\+|y)\s+(?:a|an|un|una)\s+(?:buddy|friend|colleague|coworker|mate|pal|homie|amigo|amiga|colega|companero|companera|cuate|compa|pana|parce|parcero|carnal|socio|socia))\b"
        )),
        alone: compile(
            r"\b(?:just\s+me|only\s+me|by\s+myself|on\s+my\s+own|travel+(?:ing|er)?\s+(?:alone|solo)|solo\s+travel+(?:er|ing)|solo\s+(?:trip|stay|traveler|traveller)|(?:a|one)\s+single\s+(?:person|traveler|traveller|guest|adult)|alone|solo\s+yo|yo\s+solo|single\s+(?:dad|mom|mum|parent|father|mother)|(?:padre|madre|papa|mama)\s+solter[oa]|(?:nomas|nada\s+mas|solamente)\s+yo|yo\s+nomas|just\s+myself|yo\s+sola|viajo\s+solo|viajo\s+sola|voy\s+solo|voy\s+sola|vengo\s+solo|vengo\s+sola|(?:va|viaja|viene|ira|llega)\s+sol[oa]|para\s+mi\s+solo|para\s+mi\s+sola|(?:solo|solamente|nomas)\s+para\s+mi|just\s+for\s+me|only\s+for\s+me|el\s+solo|ella\s+sola|solo\s+el|solo\s+ella|just\s+him|just\s+her|(?:just|only)\s+for\s+(?:him|her)|(?:solo|solamente)\s+para\s+(?:el|ella)|him\s+alone|her\s+alone|para\s+el\s+solo|para\s+ella\s+sola|just\s+(?:1|one)|only\s+(?:1|one)|solo\s+(?:1|uno|una))\b",
        ),
        me_and: compile(
            r"\b(?:me\s*(?:and|&|\+|with|plus)\s*(?:my|the|our)|yo\s*(?:y|\+|con)\s*(?:mis?|los|las))\b",
        ),
        companion_pair: compile(
            r"(?:\+|\bplus|\band|\by|\bwith|\bcon|,)\s*(?:my|mi|mis|our|his|her|sus|su)\s+(?:parents|padres|in-laws|suegros|grandparents|abuelos)\b",
        ),
        couples: compile(&format!(
            r"\b({count}|two|three|four|dos|tres|cuatro)\s+(?:of\s+the\s+|de\s+las\s+|de\s+los\s+)?(?:couples|parejas|matrimonios)\b"
        )),
        companion: compile(
            r"(?:\+|\bplus|\band|\by|\bwith|\bcon|,)\s*(?:my|mi|our|nuestra|nuestro|his|her|su)\s+(?:mom|mum|mother|dad|father|madre|padre|mama|papa|sister|brother|hermana|hermano|grandma|grandpa|abuela|abuelo|suegra|suegro|cousin|primo|prima|aunt|uncle|tia|tio)\b|(?:\+|\bplus|\bmas|\by|\band)\s*(?:la\s+|el\s+|the\s+)?(?:grandma|grandpa|granny|nana|abuela|abuelo|abue)\b|(?:\+|\bplus|\bmas)\s*(?:la\s+|el\s+)?(?:mom|mum|dad)\b",
        ),
        me_plus: compile(&format!(
            r"\b(?:me|myself|i|yo)\s*(?:and|&|\+|plus|y|con|with)\s*(?:my\s+|mis\s+)?({bare})\s+(?:of\s+(?:the|my|our|us|mis|los|las)\s+)?(?:buddies|buddy|friends|mates|pals|colleagues|coworkers|guys|girls|ladies|others|more|amigos|amigas|chicas|chicos|colegas|companeros|companeras|personas|people|adults|adultos|cuates|compas|panas|parceros|parces|carnales|socios|homies|bros)\b"
        )),
    }
});

/// Verbs after which "with my wife" is someone to ask, not a guest.
const TALK: &[&str] = &[
    "hablar",
    "hablo",
    "hablarlo",
    "consultar",
    "consulto",
    "platicar",
    "platico",
    "check",
    "talk",
    "ask",
    "speak",
    "discuss",
    "comentar",
    "comento",
    "confirm",
    "confirmar",
    "confirmarlo",
];

/// Words after "for N" that make N something other than people.
#[rustfmt::skip]
const NOT_PEOPLE: &[&str] = &[
    "nights", "night", "noches", "noche", "days", "day", "dias", "dia", "weeks", "week", "semanas",
    "semana", "months", "month", "meses", "mes", "rooms", "room", "habitaciones", "habitacion",
    "beds", "bed", "camas", "cama", "am", "pm", "h", "hours", "horas", "euros", "eur", "dollars",
    "usd", "minutes", "minutos", "years", "anos", "stars", "estrellas", "more", "extra", "mas",
    "children", "child", "kids", "kid", "babies", "baby", "ninos", "nino", "ninas", "nina", "bebes",
    "bebe", "hijos", "hijo", "hijas", "hija", "menores", "teenagers", "teens", "adolescentes",
];

/// The first count captured by `regex` in `folded`.
fn first(regex: &Regex, folded: &str) -> Option<u32> {
    regex
        .captures_iter(folded)
        .find_map(|c| numbers::value(c.iter().skip(1).flatten().next()?.as_str()))
}

/// Finds the party in `folded`.
pub(super) fn extract(folded: &str) -> Party {
    // "Repeat the total once more": English "once", not Spanish eleven.
    let folded = &*ENGLISH_ONCE.replace_all(folded, " ");
    // "Para mis padres, son 2": Spanish "son" (they are) before a count, not a son.
    // ("My son 2 years old" is a son.)
    // ("My son 12 and daughter 9", "me and my son 5 nights" are a son.)
    let folded = &*SON_COUNT.replace_all(folded, |c: &regex::Captures<'_>| {
        let (start, after) = c.get(0).map_or((0, 0), |m| (m.start(), m.end()));
        let aged = matches!(
            text::next_word(folded, after),
            "years"
                | "year"
                | "yrs"
                | "yr"
                | "yo"
                | "anos"
                | "ano"
                | "months"
                | "meses"
                | "and"
                | "y"
                | "nights"
                | "night"
                | "noches"
                | "noche"
                | "days"
                | "dias"
        );
        let owned = matches!(
            previous_word(folded, start),
            "my" | "our" | "his" | "her" | "the" | "mi" | "su" | "nuestro" | "a"
        );
        if aged || owned {
            c[0].to_owned()
        } else {
            format!("somos{}", &c[1])
        }
    });
    let p = &*PATTERNS;
    let adults = first(&p.adults, folded);
    let children = children(folded);
    // "a couple of …" is a small number of something, not two guests; "lo hablo con mi
    // esposo", "let me check with my wife" name someone to ask, not the party.
    let couple = p.couple.find_iter(folded).any(|m| {
        let a_few = m.as_str().ends_with("couple") && text::next_word(folded, m.end()) == "of";
        let asked = TALK
            .iter()
            .any(|w| text::before(folded, m.start(), 16).contains(w));
        !a_few && !asked
    });
    let me_plus = first(&p.me_plus, folded).map(|n| n.saturating_add(1));
    let couples = first(&p.couples, folded).map(|n| n.saturating_mul(2));
    let alike = p.alike.captures_iter(folded).find_map(|c| {
        let (a, b) = (c.get(1)?.as_str(), c.get(2)?.as_str());
        let n = numbers::value(a)?;
        (numbers::value(b) == Some(n)
            && !NOT_PEOPLE.contains(&text::next_word(folded, c.get(0)?.end())))
        .then_some(n)
    });
    if let Some(each) = first(&p.each, folded).or(alike) {
        return Party {
            adults: Some(each),
            children: None,
        };
    }
    // A relative added to a couple ("nosotros dos + my mom") who is not the couple's other half
    // ("me and my mom").
    let couple_spans: Vec<_> = p.couple.find_iter(folded).map(|m| m.range()).collect();
    let companions = p
        .companion
        .find_iter(folded)
        .filter(|m| {
            !couple_spans
                .iter()
                .any(|c| c.contains(&m.start()) || c.contains(&(m.end() - 1)))
        })
        .count();
    // "Just me and my husband now": nobody else, whoever else was named.
    let only_us = [
        "just me and",
        "only me and",
        "just us",
        "only us",
        "solo mi ",
        "solo yo y",
        "solo nosotros",
    ]
    .iter()
    .any(|p| folded.contains(p));
    let companions = if only_us { 0 } else { companions };
    // "… and his parents", "y mis suegros": two more.
    let pairs = if only_us {
        0
    } else {
        p.companion_pair.find_iter(folded).count() * 2
    };
    let companions = u32::try_from(companions + pairs).unwrap_or(0);
    // "ponle 3", "4 en total", "5 in the family room" (the room's name is masked by then,
    // hence the blank the pattern looks for): the guest's own total settles it.
    if let Some(total) = first(&p.explicit, folded) {
        let children = children.filter(|c| *c < total);
        return Party {
            adults: Some(total - children.unwrap_or(0)),
            children,
        };
    }
    // A head count ("we're 4") is the whole party, whoever is named after it ("mi hermana y
    // yo"); a couple counts only when nobody gave a number.
    let counted = adults.or(couples).or_else(|| {
        headcount(folded).map(|(total, on_top, end)| match children {
            Some(children) if !on_top && total > children => total - children,
            // "The two of us plus grandma": the relatives named right after the count come on
            // top.
            None if on_top => total + companions_after(folded, end),
            _ => total,
        })
    });
    // "Mi mujer y yo con el bebé": the baby comes on top of the couple ("somos 3 con el bebé"
    // counted it among the three).
    let children = match children {
        None if counted.is_none() && me_plus.is_none() && couple => {
            p.with_child.is_match(folded).then_some(1)
        }
        known => known,
    };
    // Nobody counted, nor a couple: "just her" may be more once listed ("just her and her bf").
    let uncounted = counted.is_none() && me_plus.is_none() && !couple;
    let adults = counted
        .or(me_plus)
        .or(couple.then_some(2 + companions))
        .or_else(|| (p.alone.is_match(folded) || p.me_and.is_match(folded)).then_some(1));
    // "Vamos ella, mi papá, mi hermana y yo": four named one by one say more than the couple
    // ("mi hermana y yo") and the relative beside it.
    if counted.is_none()
        && me_plus.is_none()
        && couple
        && let Some(listed) = listed(folded)
        && listed > adults.unwrap_or(0) + children.unwrap_or(0)
        && listed > children.unwrap_or(0)
    {
        return Party {
            adults: Some(listed - children.unwrap_or(0)),
            children,
        };
    }
    // "For my husband and our eldest", "our daughter and son-in-law want to join": the people
    // named one by one, the children among them counted as children ("just her and her bf"
    // is more than "just her").
    if uncounted
        && let Some(listed) = listed(folded)
        && listed > children.unwrap_or(0)
        && listed - children.unwrap_or(0) > adults.unwrap_or(0)
    {
        return Party {
            adults: Some(listed - children.unwrap_or(0)),
            children,
        };
    }
    Party { adults, children }
}

static ENGLISH_ONCE: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"\b(?:once\s+(?:more|again|we|i|you|it|they|there|the|a|an|in|that)|at\s+once)\b")
});

static SON_COUNT: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\bson(\s+(?:[0-9]{1,2}|dos|tres|cuatro|cinco|seis|siete|ocho)\b)"));

/// Relatives named right after a head count that ends at byte `end` ("+ my mom", "plus
/// grandma" one each, "and my parents" two).
fn companions_after(folded: &str, end: usize) -> u32 {
    let p = &*PATTERNS;
    let right_after =
        |m: &regex::Match<'_>| m.start() >= end && folded[end..m.start()].trim().is_empty();
    let one = p
        .companion
        .find_at(folded, end)
        .filter(right_after)
        .map_or(0, |_| 1);
    let two = p
        .companion_pair
        .find_at(folded, end)
        .filter(right_after)
        .map_or(0, |_| 2);
    one.max(two)
}

/// A head count without ages, and whether children named right after it come on top of it
/// ("somos 2 y un bebé", "2 people and a child") rather than among it ("we are 4 with 2 kids").
fn headcount(folded: &str) -> Option<(u32, bool, usize)> {
    let p = &*PATTERNS;
    let counted = |regex: &Regex, keep: &dyn Fn(&regex::Match<'_>) -> bool| {
        regex.captures_iter(folded).find_map(|c| {
            let whole = c.get(0).filter(|m| keep(m))?;
            Some((numbers::value(c.get(1)?.as_str())?, whole.end()))
        })
    };
    // "Para una pareja" is a couple, not one.
    let for_people = |m: &regex::Match<'_>| {
        let mut next = text::next_word(folded, m.end());
        // "Para una sola noche": the word after "sola" says what is counted.
        if matches!(next, "sola" | "solo" | "single") {
            let after = folded[m.end()..]
                .find(next)
                .map_or(m.end(), |i| m.end() + i + next.len());
            next = text::next_word(folded, after);
        }
        !NOT_PEOPLE.contains(&next)
            && !matches!(
                next,
                "pareja" | "couple" | "familia" | "family" | "grupo" | "group"
            )
    };
    // "talk to a person", "hablar con una persona" name someone, not the party.
    // ("One of us can crash with friends" says who is left out, not the party.)
    // ("1 person. is the shuttle free?": a new sentence says nothing of the person.)
    let not_someone = |m: &regex::Match<'_>| {
        let clause_ends = folded.get(m.end()..).is_some_and(|rest| {
            rest.trim_start()
                .starts_with(['.', ',', '!', '?', ';', ':'])
        });
        !matches!(
            previous_word(folded, m.start()),
            "to" | "with" | "con" | "a"
        ) && (clause_ends
            || !matches!(
                text::next_word(folded, m.end()),
                "can"
                    | "cant"
                    | "will"
                    | "wont"
                    | "is"
                    | "has"
                    | "might"
                    | "may"
                    | "needs"
                    | "would"
                    | "could"
                    | "puede"
                    | "va"
                    | "no"
            ))
    };
    // "somos una pareja", "we're a family of 4": an article before a group word is no count.
    let counts_people = |m: &regex::Match<'_>| {
        let article = m
            .as_str()
            .split_whitespace()
            .last()
            .is_some_and(|w| matches!(w, "un" | "una" | "uno" | "one" | "a"));
        !article
            && !matches!(
                text::next_word(folded, m.end()),
                "pareja" | "familia" | "grupo" | "couple" | "group" | "family" | "party" | "bunch"
            )
    };
    let (total, end) = counted(&p.total_for, &for_people)
        .or_else(|| counted(&p.total_people, &not_someone))
        .or_else(|| counted(&p.total_we, &counts_people))?;
    let on_top = matches!(text::next_word(folded, end), "and" | "y" | "plus" | "mas")
        || folded
            .get(end..)
            .is_some_and(|rest| rest.trim_start().starts_with('+'));
    Some((total, on_top, end))
}

/// The word just before byte `at`.
fn previous_word(folded: &str, at: usize) -> &str {
    let before = text::before(folded, at, 16).trim_end();
    before
        .rsplit(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("")
}

/// Children are added up across mentions ("two kids and a baby"); "my son" counts one.
fn children(folded: &str) -> Option<u32> {
    let p = &*PATTERNS;
    let mut total: Option<u32> = None;
    for caps in p.children.captures_iter(folded) {
        let Some(word) = caps.get(1) else { continue };
        let n = match word.as_str() {
            "no" | "sin" => 0,
            other => match numbers::value(other) {
                Some(n) => n,
                None => continue,
            },
        };
        total = Some(total.unwrap_or(0).saturating_add(n));
    }
    // "our 8 month old", "un bebé de 6 meses": a baby each, beside any children counted.
    // "Un bebé de 8 meses" is the baby already counted.
    let babies = p
        .months_old
        .find_iter(folded)
        .filter(|m| {
            let before = text::before(folded, m.start(), 14);
            ![
                "bebe", "baby", "nino", "nina", "hijo", "hija", "kid", "child", "son", "daughter",
            ]
            .iter()
            .any(|w| before.contains(w))
        })
        .count();
    if babies > 0 {
        let babies = u32::try_from(babies).unwrap_or(0);
        total = Some(total.unwrap_or(0).saturating_add(babies));
    }
    if total.is_none() {
        total = first(&p.own_kids, folded);
    }
    if total.is_none() && p.twins.is_match(folded) {
        total = Some(2);
    }
    if total.is_none() {
        let named = p.child.find_iter(folded).count();
        if named > 0 {
            total = u32::try_from(named).ok();
        }
    }
    total
}
